import ChannelKit

// MARK: - The mode of a reconfigured channel

extension ChannelSupervisor {
    /// The mode a served channel would have with new settings, the other channels as they are.
    /// - Throws: ``ModeRefusal`` when the channel would be off (it is served, so it keeps
    ///   serving as it does) or the host would become unsafe (``HostSafety``).
    func modeAfterChange(of effective: ChannelConfiguration) throws(ModeRefusal) -> ChannelMode {
        let others = all.filter { $0.configuration.name != effective.name }
        let mode = HostSafety.mode(of: effective, hostHasLiveChannel: others.contains { $0.mode == .live })
        guard mode != .off else {
            throw ModeRefusal(message: "without an access token this channel would be off on a host with a live channel; "
                + "set sandbox: true in channels.yaml to use its sandbox")
        }
        var modes = Dictionary(uniqueKeysWithValues: others.map { ($0.configuration.name, $0.mode) })
        modes[effective.name] = mode
        var configuration = hostConfiguration
        configuration.channels = others.map(\.configuration) + [effective]
        if let problem = HostSafety.problems(of: configuration, modes: modes).first {
            throw ModeRefusal(message: problem)
        }
        return mode
    }

    /// A change that would leave a channel off or the host unsafe.
    struct ModeRefusal: Error, Sendable {
        /// A stable code for the refusal.
        let code = "channel_mode_refused"
        let message: String
    }
}

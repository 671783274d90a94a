import ArgumentParser

/// `sandra`: the channel host that connects messaging apps to Sandra.
@main
struct SandraCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandra",
        abstract: "Connects messaging apps (Instagram, …) to the Sandra assistant.",
        subcommands: [ServeCommand.self, CheckConfigCommand.self, InboxCommand.self, EraseCommand.self, SettingsCommand.self,
                      SubscribeWebhooksCommand.self, HashPasswordCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}

/// Options shared by the subcommands.
struct ConfigOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Path to channels.yaml (default: $SANDRA_CONFIG, else ./channels.yaml).")
    var config: String?

    /// The configuration file to read and whether it was named explicitly.
    func resolvedPath(environment: [String: String]) -> (path: String, explicit: Bool) {
        if let config { return (config, true) }
        if let fromEnvironment = environment["SANDRA_CONFIG"], !fromEnvironment.isEmpty { return (fromEnvironment, true) }
        return ("channels.yaml", false)
    }
}

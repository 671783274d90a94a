import ArgumentParser
import AsyncHTTPClient
import ChannelKit
import Foundation
import Logging
import SQLiteStorage

/// `sandra subscribe-webhooks <channel>`: subscribes the app to the channel's account's
/// webhooks (Meta's `subscribed_apps`), with the channel's effective settings — `channels.yaml`
/// with the values saved in the admin portal applied, as a running host would serve it.
struct SubscribeWebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe-webhooks",
        abstract: "Subscribe the app to a live channel's account webhooks (Meta's subscribed_apps), as the admin portal's button does.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The channel's name.") var channel: String

    func run() async throws {
        let configuration = try ConfigurationSource.loadOrExit(options: options)
        var logger = Logger(label: "sandra-subscribe")
        logger.logLevel = .warning
        do {
            let subscription = try await Self.subscribe(channel, configuration: configuration, options: options, logger: logger)
            print("subscribed \(subscription.account) to \(subscription.fields.joined(separator: ","))")
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("\(failure.message)\n".utf8))
            throw ExitCode(failure.exitCode)
        }
    }

    /// A refusal, with the exit code to end with.
    struct Failure: Error {
        /// `subscribe_refused`.
        let code = "subscribe_refused"
        let message: String
        let exitCode: Int32
    }

    /// Makes the channel with its effective settings and subscribes its account.
    /// - Throws: ``Failure`` for an unknown or non-live channel, a channel type without a
    ///   subscription call, saved settings that cannot be read, or the platform's refusal.
    static func subscribe(_ name: String, configuration: HostConfiguration, options: ConfigOptions,
                          logger: Logger) async throws -> WebhookSubscription {
        guard let configured = configuration.channels.first(where: { $0.name == name && $0.enabled }) else {
            throw Failure(message: "no enabled channel named '\(name)'", exitCode: 64)
        }
        var saved: [String: StoredSetting] = [:]
        if FileManager.default.fileExists(atPath: configuration.storage.path) {
            do {
                saved = try await InboxCommand.withStore(options) { store in
                    guard try await !store.settingOverrides(channel: name).isEmpty else { return [:] }
                    let secrets = try SecretBox.load(configuredKey: configuration.admin.secretKey,
                                                     file: HostRuntime.secretKeyFile(for: configuration)).box
                    var only = configuration
                    only.channels = [configured]
                    return try await ChannelSupervisor.loadOverrides(for: only, registry: .builtin, store: store, secrets: secrets,
                                                                     logger: logger)[name] ?? [:]
                }
            } catch {
                throw Failure(message: "the saved settings of '\(name)' cannot be read: \(error)", exitCode: 74)
            }
        }
        let (effective, _) = ChannelSupervisor.apply(saved, to: configured)
        guard HostSafety.mode(of: effective, hostHasLiveChannel: true) == .live else {
            throw Failure(message: "'\(name)' is not live (sandbox mode, or no access token): there is no platform account to subscribe",
                          exitCode: 78)
        }
        let client = AsyncHTTPTransport.makeClient()
        do {
            let maker = ChannelSupervisor.Maker(registry: .builtin, transport: AsyncHTTPTransport(client: client, timers: ProcessThreads.timers), logger: logger,
                                                localBaseURL: "http://127.0.0.1")
            let made = try maker.make(effective, mode: .live)
            guard let subscribing = made.channel as? any WebhookSubscribing else {
                throw Failure(message: "\(configured.type) channels have no webhook subscription call", exitCode: 64)
            }
            let subscription: WebhookSubscription
            do {
                subscription = try await subscribing.subscribeWebhooks(logger: logger)
            } catch let error as ChannelError {
                throw Failure(message: "the platform refused: \(error.description)", exitCode: 69)
            }
            try? await client.shutdown()
            return subscription
        } catch {
            try? await client.shutdown()
            if let failure = error as? Failure { throw failure }
            throw Failure(message: "\(error)", exitCode: 69)
        }
    }
}

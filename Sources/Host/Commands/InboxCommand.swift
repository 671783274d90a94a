import ArgumentParser
import ChannelKit
import Foundation
import Logging

/// `sandra inbox`: inspect and repair the durable inbox of the configured store.
///
/// Safe while the host runs (SQLite in WAL mode takes a second process); the host picks up
/// retried items at its next rescan.
struct InboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "List failed, dead, stuck or expired inbox items; retry or drop them.",
        subcommands: [List.self, Retry.self, Drop.self, Stats.self],
        defaultSubcommand: List.self)

    /// The states `list` and `retry --all` work on by default.
    static let troubleStates: Set<InboxState> = [.failed, .dead, .expired]

    /// Opens the configured store, runs `body`, and closes the store.
    static func withStore<T>(_ options: ConfigOptions, _ body: (any HostStore) async throws -> T) async throws -> T {
        let store = try await openStore(options)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    static func openStore(_ options: ConfigOptions) async throws -> any HostStore {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try ConfigurationSource.loadOrExit(options: options, environment: environment)
        guard configuration.storage.postgres.isEnabled || FileManager.default.fileExists(atPath: configuration.storage.path) else {
            FileHandle.standardError.write(Data("no store at \(configuration.storage.path)\n".utf8))
            throw ExitCode(66)
        }
        var logger = Logger(label: "sandra-inbox")
        logger.logLevel = .error
        return try await StoreFactory.open(configuration.storage, role: .tool, logger: logger)
    }

    static func parseState(_ text: String) throws -> (states: Set<InboxState>, stuckOnly: Bool) {
        switch text {
        case "all": return (Set(InboxState.allCases), false)
        case "trouble": return (troubleStates, false)
        case "stuck": return ([.processing], true)
        default:
            guard let state = InboxState(rawValue: text) else {
                throw ValidationError("unknown state '\(text)'; use one of: trouble, stuck, all, \(InboxState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return ([state], false)
        }
    }

    /// `sandra inbox list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List items: failed, dead and expired by default.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "trouble (failed, dead, expired), stuck (processing past its lease), all, or one state.") var state = "trouble"
        @Option(help: "At most this many items.") var limit = 100

        func run() async throws {
            let (states, stuckOnly) = try InboxCommand.parseState(state)
            let now = Date()
            var items = try await InboxCommand.withStore(options) { try await $0.items(in: states, limit: limit) }
            if stuckOnly { items = items.filter { ($0.leaseExpiresAt ?? .distantFuture) <= now } }
            if items.isEmpty {
                print("no items")
                return
            }
            let formatter = ISO8601DateFormatter()
            print(["ID", "STATE", "CHANNEL", "SENDER", "PLATFORM ID", "ATTEMPTS", "UPDATED", "REASON"].joined(separator: "\t"))
            for item in items {
                var state = item.state.rawValue
                if item.state == .processing, (item.leaseExpiresAt ?? .distantFuture) <= now { state = "stuck" }
                if item.state == .failed, let next = item.nextAttemptAt { state += " (next \(formatter.string(from: next)))" }
                print([
                    "\(item.id)", state, item.event.channel, item.event.senderID, item.event.platformMessageID,
                    "\(item.attempts)", formatter.string(from: item.updatedAt), item.lastError ?? "",
                ].joined(separator: "\t"))
            }
        }
    }

    /// `sandra inbox retry`.
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retry one item, or every failed and dead one with --all.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The item's id.") var id: Int64?
        @Flag(help: "Retry every failed and dead item.") var all = false

        func validate() throws {
            guard (id == nil) != !all else { throw ValidationError("give an item id or --all") }
        }

        func run() async throws {
            let retried = try await InboxCommand.withStore(options) { store in
                let ids = if let id { [id] } else { try await store.items(in: [.failed, .dead], limit: 1_000_000).map(\.id) }
                var retried = 0
                for id in ids where try await store.retry(id, at: Date()) { retried += 1 }
                return retried
            }
            print("retried \(retried) item\(retried == 1 ? "" : "s")")
            if let id, retried == 0 {
                FileHandle.standardError.write(Data("item \(id) cannot be retried (unknown, or not failed, dead or expired)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    /// `sandra inbox drop`.
    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop one item: it is never answered; a redelivery still creates nothing.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The item's id.") var id: Int64

        func run() async throws {
            let dropped = try await InboxCommand.withStore(options) { try await $0.drop(id, at: Date()) }
            guard dropped else {
                FileHandle.standardError.write(Data("item \(id) cannot be dropped (unknown, or already done)\n".utf8))
                throw ExitCode(1)
            }
            print("dropped item \(id)")
        }
    }
}

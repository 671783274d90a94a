import ArgumentParser
import ChannelKit
import Foundation
import Logging

/// `sandra erase --channel <name> --user <id>`: erases everything held about one person on
/// one channel, as Meta's data deletion callback does, and prints the confirmation code.
///
/// Safe while the host runs (SQLite in WAL mode takes a second process).
struct EraseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase everything held about one person on a channel (message text, history, identity links).")

    @OptionGroup var options: ConfigOptions
    @Option(help: "The channel's configured name (as in /api/channels/<name>).") var channel: String
    @Option(help: "The person's id on that channel (Instagram-scoped id, WhatsApp number or user id).") var user: String

    func validate() throws {
        guard !channel.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--channel must not be empty") }
        guard !user.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--user must not be empty") }
    }

    func run() async throws {
        var logger = Logger(label: "sandra-erase")
        logger.logLevel = .error
        let record = try await InboxCommand.withStore(options) { store in
            try await PersonErasure(store: store).erase(userID: user, channels: [channel], source: .cli, logger: logger)
        }
        print("erased on \(channel): \(record.inboxItems) inbox items, \(record.outboxParts) reply parts, "
              + "\(record.turns) conversation turns, \(record.identityRecords) identity records")
        print("confirmation code: \(record.confirmationCode)")
    }
}

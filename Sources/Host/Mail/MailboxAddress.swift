import ChannelIdentity
import ChannelKit
import Foundation

/// A sender as written in `identity.email.from`: `sandra@example.com` or
/// `Sandra <sandra@example.com>`.
struct MailboxAddress: Sendable, Hashable {
    /// The name shown to recipients, if any.
    var displayName: String?
    /// The address (SMTP `MAIL FROM`).
    var address: EmailAddress

    /// Parses `Name <address>` or a bare address; `nil` when the address is not valid or the
    /// text holds a line break.
    init?(_ text: String) {
        guard !text.contains(where: \.isNewline) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            guard let address = EmailAddress(String(inner)) else { return nil }
            var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") {
                name = String(name.dropFirst().dropLast())
            }
            self.displayName = name.isEmpty ? nil : name
            self.address = address
        } else {
            guard let address = EmailAddress(trimmed) else { return nil }
            self.displayName = nil
            self.address = address
        }
    }

    /// The domain of the address, for `Message-ID`s.
    var domain: String {
        String(address.value.split(separator: "@").last ?? "localhost")
    }
}

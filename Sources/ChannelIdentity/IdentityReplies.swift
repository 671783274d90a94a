import ChannelKit
/// What identity linking says, in Markdown. Quick replies are offered where the channel has them.
///
/// No reply says whether an address already has a profile: a code is "sent to" any valid
/// address the same way.
enum IdentityReplies {
    static let askForAddress = AssistantReply(markdown: """
        Which email address should I link? Send it here (or write `/link you@example.com`). \
        I'll email you a 6-digit code to confirm it's yours.
        """)

    static let invalidAddress = AssistantReply(markdown: """
        That doesn't look like an email address. Send it like this: `/link you@example.com`
        """)

    static func alreadyLinked(_ email: EmailAddress) -> AssistantReply {
        AssistantReply(markdown: "This chat is already linked to your Sandra profile (\(email.masked)).",
                       quickReplies: [whoamiButton, unlinkButton])
    }

    static let rateLimited = AssistantReply(markdown: """
        Too many codes were requested recently. Please try again later.
        """)

    /// A lifetime in whole minutes, at least one, worded: `1 minute`, `10 minutes`.
    static func minutes(_ lifetime: Duration) -> String {
        let minutes = max(1, Int((lifetime.seconds / 60).rounded()))
        return minutes == 1 ? "1 minute" : "\(minutes) minutes"
    }

    static func codeSent(to email: EmailAddress, validFor lifetime: Duration) -> AssistantReply {
        AssistantReply(markdown: """
            I've sent a 6-digit code to \(email.masked). Type it here within \(minutes(lifetime)) to link this chat \
            to your Sandra profile.
            """, quickReplies: [resendButton, cancelButton])
    }

    /// The development mailer "sent" the code: it only went to the host's log.
    static func codeLogged(for email: EmailAddress, validFor lifetime: Duration) -> AssistantReply {
        AssistantReply(markdown: """
            This host has no mail server (development mailer): no email was sent. The 6-digit code for \
            \(email.masked) was written to the host's log; type it here within \(minutes(lifetime)) to link this chat \
            to your Sandra profile.
            """, quickReplies: [resendButton, cancelButton])
    }

    static func mailDeferred(to email: EmailAddress) -> AssistantReply {
        AssistantReply(markdown: """
            I couldn't send the email just now. I'll keep trying for a while: when the code arrives at \
            \(email.masked), type it here.
            """, quickReplies: [cancelButton])
    }

    static let mailRefused = AssistantReply(markdown: """
        I couldn't deliver an email to that address. Check it and send `/link you@example.com` again.
        """)

    static let expired = AssistantReply(markdown: """
        That code has expired. Send `/link you@example.com` to get a new one.
        """)

    static func wrongCode(triesLeft: Int) -> AssistantReply {
        AssistantReply(markdown: "That code isn't right. \(triesLeft == 1 ? "1 try" : "\(triesLeft) tries") left.",
                       quickReplies: [resendButton, cancelButton])
    }

    static let lockedOut = AssistantReply(markdown: """
        That code no longer works: too many wrong tries. Send `/link you@example.com` to get a new one.
        """)

    static let noPendingCode = AssistantReply(markdown: """
        There's no code waiting. Send `/link you@example.com` to get one.
        """)

    static func linked(_ profile: SandraProfile, identities: [ChannelIdentity]) -> AssistantReply {
        AssistantReply(markdown: """
            Linked! This chat now belongs to your Sandra profile (\(masked(profile.email))). \
            Chats linked to it: \(channels(of: identities)).
            """, quickReplies: [whoamiButton])
    }

    static func unlinked(_ profile: SandraProfile) -> AssistantReply {
        AssistantReply(markdown: """
            Done: this chat is no longer linked to your Sandra profile (\(masked(profile.email))).
            """, quickReplies: [linkButton])
    }

    static let notLinked = AssistantReply(markdown: """
        This chat isn't linked to a Sandra profile. Send `/link you@example.com` to link it.
        """, quickReplies: [linkButton])

    static func whoami(_ profile: SandraProfile, identities: [ChannelIdentity]) -> AssistantReply {
        var lines = ["This chat is linked to your Sandra profile:", "", "- email: \(masked(profile.email))"]
        if let name = profile.displayName, !name.isEmpty { lines.append("- name: \(name)") }
        lines.append("- linked chats: \(channels(of: identities))")
        lines.append("")
        lines.append("Send `/unlink` to remove the link.")
        return AssistantReply(markdown: lines.joined(separator: "\n"), quickReplies: [unlinkButton])
    }

    static func waitingForCode(_ email: EmailAddress) -> AssistantReply {
        AssistantReply(markdown: """
            Not linked yet: type the code I sent to \(email.masked), or send `/cancel`.
            """, quickReplies: [resendButton, cancelButton])
    }

    static let cancelled = AssistantReply(markdown: "Cancelled: that code no longer works.", quickReplies: [linkButton])

    // MARK: - Buttons

    static let linkButton = QuickReply(title: "Link my account", payload: IdentityCommand.Payload.link)
    static let unlinkButton = QuickReply(title: "Unlink", payload: IdentityCommand.Payload.unlink)
    static let whoamiButton = QuickReply(title: "Who am I?", payload: IdentityCommand.Payload.whoami)
    static let resendButton = QuickReply(title: "Send a new code", payload: IdentityCommand.Payload.resend)
    static let cancelButton = QuickReply(title: "Cancel", payload: IdentityCommand.Payload.cancel)

    // MARK: - Helpers

    private static func masked(_ email: String) -> String {
        EmailAddress(email)?.masked ?? "***"
    }

    private static func channels(of identities: [ChannelIdentity]) -> String {
        let names = Array(Set(identities.map(\.channel))).sorted()
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}

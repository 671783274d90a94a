import CCurl
import ChannelIdentity
import ChannelKit

/// One SMTP send with libcurl's easy API: blocking, so it runs on a thread of its own.
///
/// The message bytes are handed to libcurl through its read callback; the callback finds
/// this object through the `CURLOPT_READDATA` pointer (a C callback cannot capture).
final class SMTPTransfer {
    private let payload: [UInt8]
    private var offset = 0

    /// libcurl's process-wide initialization, done once before the first transfer.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    init(payload: [UInt8]) {
        self.payload = payload
    }

    /// Connects, authenticates, sends the message to `recipient` and waits for the server's answer.
    /// - Throws: ``MailerError``.
    func perform(_ settings: SMTPMailer.Settings, recipient: String) throws {
        guard Self.initialized, let handle = curl_easy_init() else {
            throw MailerError(.unavailable, "libcurl could not be initialized")
        }
        defer { curl_easy_cleanup(handle) }
        let recipients = curl_slist_append(nil, "<\(recipient)>")
        defer { curl_slist_free_all(recipients) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        try set(ccurl_setopt_string(handle, CURLOPT_URL, settings.url), "the URL")
        try set(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"), "the protocols")
        try set(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "no signals")
        try set(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(settings.connectTimeout)), "the connect timeout")
        try set(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(settings.timeout)), "the timeout")
        if SMTPMailer.scheme(of: settings.url) == "smtp" {
            let level = switch settings.startTLS {
            case .required: CURLUSESSL_ALL
            case .optional: CURLUSESSL_TRY
            case .off: CURLUSESSL_NONE
            }
            try set(ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(level.rawValue)), "STARTTLS")
        }
        if let caFile = settings.caFile, !caFile.isEmpty {
            try set(ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile), "the CA file")
        }
        if !settings.username.isEmpty {
            try set(ccurl_setopt_string(handle, CURLOPT_USERNAME, settings.username), "the user name")
            try set(ccurl_setopt_string(handle, CURLOPT_PASSWORD, settings.password), "the password")
        }
        try set(ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(settings.from.address.value)>"), "the sender")
        try set(ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients), "the recipient")
        try set(ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1), "upload")
        try set(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "the error buffer")
        try set(ccurl_setopt_read_function(handle) { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            return Unmanaged<SMTPTransfer>.fromOpaque(context).takeUnretainedValue().read(into: buffer, capacity: size * count)
        }, "the read callback")
        try set(ccurl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque()), "the read data")

        let result = curl_easy_perform(handle)
        guard result != CURLE_OK else { return }
        var response: CLong = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &response)
        let detail = errorBuffer.pointee == 0 ? String(cString: curl_easy_strerror(result)) : String(cString: errorBuffer)
        throw Self.error(for: result, response: response, detail: detail)
    }

    /// Copies the next bytes of the message into libcurl's buffer; 0 at the end.
    private func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, payload.count - offset)
        guard count > 0 else { return 0 }
        payload.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                UnsafeMutableRawPointer(buffer).copyMemory(from: base + offset, byteCount: count)
            }
        }
        offset += count
        return count
    }

    private func set(_ code: CURLcode, _ what: String) throws {
        guard code == CURLE_OK else {
            throw MailerError(.configuration, "libcurl refused \(what): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        max(1, Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
    }

    /// The mailer error for a failed transfer: refused credentials, settings that cannot work,
    /// a message refused for good (5xx) or anything that may work later.
    static func error(for result: CURLcode, response: Int, detail: String) -> MailerError {
        let message = "\(detail) (libcurl \(result.rawValue)\(response > 0 ? ", SMTP \(response)" : ""))"
        switch result {
        case CURLE_LOGIN_DENIED:
            return MailerError(.authentication, message)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_USE_SSL_FAILED, CURLE_PEER_FAILED_VERIFICATION,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM:
            return MailerError(.configuration, message)
        default:
            break
        }
        switch response {
        case 500..<600 where detail.contains("MAIL failed"):
            return MailerError(.configuration, message)   // the sender was refused: the settings, not the recipient
        case 500..<600:
            return MailerError(.rejected, message)
        default:
            return MailerError(.unavailable, message)
        }
    }
}

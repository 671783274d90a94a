import Crypto
import Foundation
#if canImport(CDispatch)
// On Linux, Swift attributes `struct stat` to the first C module that included <sys/stat.h>:
// libdispatch's, since no module this file imports includes it earlier.
import CDispatch
#endif

/// Encrypts the secrets an operator saves (AES-256-GCM) before they reach the store.
///
/// A sealed value is `v1:` and the base64 of nonce, ciphertext and tag. The setting it belongs
/// to (`instagram/access_token`) is authenticated with it, so a sealed value copied to another
/// setting does not open.
struct SecretBox: Sendable {
    /// What sealed values start with.
    static let prefix = "v1:"
    private let key: SymmetricKey

    /// A box with a 32-byte key.
    init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// Reads a key written as base64 or hex; `nil` unless it is 32 bytes.
    static func keyBytes(from text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count == 64, trimmed.allSatisfy(\.isHexDigit) {
            var bytes: [UInt8] = []
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                let next = trimmed.index(index, offsetBy: 2)
                guard let byte = UInt8(trimmed[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
            return bytes
        }
        guard let data = Data(base64Encoded: trimmed), data.count == 32 else { return nil }
        return Array(data)
    }

    /// Seals `plaintext` for the setting `context`.
    func seal(_ plaintext: String, context: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw SecretBoxError(message: "AES-GCM gave no combined form") }
        return Self.prefix + combined.base64EncodedString()
    }

    /// Opens a value sealed for `context`.
    /// - Throws: ``SecretBoxError`` when it is not sealed, or was sealed with another key or for another setting.
    func open(_ sealed: String, context: String) throws -> String {
        guard sealed.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))) else {
            throw SecretBoxError(message: "the value is not sealed")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            let plain = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
            guard let text = String(data: plain, encoding: .utf8) else { throw SecretBoxError(message: "the value is not UTF-8") }
            return text
        } catch let error as SecretBoxError {
            throw error
        } catch {
            throw SecretBoxError(message: "the value does not open with this key")
        }
    }

    /// The box for `admin.secret_key`, or for the key file, which is created with mode 0600
    /// holding a new random key when it does not exist.
    /// - Parameters:
    ///   - configuredKey: `admin.secret_key`; empty to use the file.
    ///   - file: the key file.
    /// - Returns: the box and where its key came from, for the log.
    /// - Throws: ``SecretBoxError`` when the file cannot be created or read, holds no key, or
    ///   can be read by other users.
    static func load(configuredKey: String, file: String) throws -> (box: SecretBox, source: String) {
        if !configuredKey.isEmpty {
            guard let bytes = keyBytes(from: configuredKey) else { throw SecretBoxError(message: "admin.secret_key is not a 32-byte key") }
            return (SecretBox(key: bytes), "admin.secret_key")
        }
        let manager = FileManager.default
        if !manager.fileExists(atPath: file) {
            try manager.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            let descriptor = Foundation.open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else {
                throw SecretBoxError(message: "cannot create the secret key file \(file): \(String(cString: strerror(errno)))")
            }
            let text = Array((key.base64EncodedString() + "\n").utf8)
            let written = text.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor)
            close(descriptor)
            guard written == text.count, synced == 0 else {
                try? manager.removeItem(atPath: file)
                throw SecretBoxError(message: "cannot write the secret key file \(file)")
            }
            return (SecretBox(key: Array(key)), "\(file) (created)")
        }
        var status = stat()
        guard stat(file, &status) == 0 else {
            throw SecretBoxError(message: "cannot read the secret key file \(file): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw SecretBoxError(message: "the secret key file \(file) can be read by other users (mode \(String(status.st_mode & 0o777, radix: 8))); run chmod 600 on it")
        }
        guard let contents = manager.contents(atPath: file), let text = String(data: contents, encoding: .utf8),
              let bytes = keyBytes(from: text) else {
            throw SecretBoxError(message: "the secret key file \(file) does not hold a 32-byte base64 key")
        }
        return (SecretBox(key: bytes), file)
    }
}

/// A secret could not be sealed or opened, or the key could not be loaded.
struct SecretBoxError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

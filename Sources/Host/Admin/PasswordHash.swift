import ChannelIdentity
import ChannelKit
import Crypto
import Foundation
import _CryptoExtras

/// A salted scrypt hash of the admin password: `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64).
///
/// The host keeps only this; a login is checked by hashing what was typed with the same salt
/// and the parameters the hash carries, and comparing in constant time. New hashes use N=2^17,
/// r=8, p=1 (current guidance); hashes made with other parameters (N=2^14 before) keep working.
struct PasswordHash: Sendable, Hashable {
    /// scrypt's cost parameters for new hashes: 128 MiB and a few hundred milliseconds of CPU
    /// per hash in a release build.
    static let defaultRounds = 1 << 17, defaultBlockSize = 8, defaultParallelism = 1
    let rounds: Int
    let blockSize: Int
    let parallelism: Int
    let salt: [UInt8]
    let hash: [UInt8]

    /// Where the running host computes hashes: off the tasks that serve requests, at most two
    /// at a time (fewer on one CPU). A hash costs 128 MiB and a few hundred milliseconds of
    /// CPU; in a request's task it would hold a thread that acknowledges webhooks, and a burst
    /// of logins would take that memory each at once.
    private static let workers = DispatchQueue(label: "sandra.password-hashing", attributes: .concurrent)
    private static let slots = DispatchSemaphore(value: min(2, max(1, ProcessInfo.processInfo.activeProcessorCount)))

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            workers.async {
                slots.wait()
                defer { slots.signal() }
                continuation.resume(returning: work())
            }
        }
    }

    /// ``make(password:rounds:)``, computed off the request tasks.
    static func hashed(_ password: String, rounds: Int = defaultRounds) async throws -> PasswordHash {
        try await offload { Result { try make(password: password, rounds: rounds) } }.get()
    }

    /// ``verify(_:)``, computed off the request tasks.
    func check(_ password: String) async -> Bool {
        await Self.offload { verify(password) }
    }

    /// Hashes `password` with a new random salt.
    /// - Parameter rounds: scrypt's N; the default everywhere but in tests, which lower it to
    ///   stay fast (a debug build hashes many times slower than a release one).
    static func make(password: String, rounds: Int = defaultRounds) throws -> PasswordHash {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }
        let hash = try derive(password, salt: salt, rounds: rounds, blockSize: defaultBlockSize, parallelism: defaultParallelism)
        return PasswordHash(rounds: rounds, blockSize: defaultBlockSize, parallelism: defaultParallelism, salt: salt, hash: hash)
    }

    /// Whether this hash costs less than new ones do (made before the cost was raised): it
    /// still works, and `sandra hash-password` makes a stronger one.
    var isWeakerThanDefault: Bool {
        rounds * blockSize * parallelism < Self.defaultRounds * Self.defaultBlockSize * Self.defaultParallelism
    }

    private init(rounds: Int, blockSize: Int, parallelism: Int, salt: [UInt8], hash: [UInt8]) {
        self.rounds = rounds
        self.blockSize = blockSize
        self.parallelism = parallelism
        self.salt = salt
        self.hash = hash
    }

    /// Reads an encoded hash; `nil` when it is not one this host can check.
    init?(encoded: String) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt",
              let rounds = Int(parts[1]), rounds >= 1 << 10, rounds <= 1 << 20, rounds & (rounds - 1) == 0,
              let blockSize = Int(parts[2]), (1...32).contains(blockSize),
              let parallelism = Int(parts[3]), (1...16).contains(parallelism),
              let salt = Data(base64Encoded: String(parts[4])), salt.count >= 16,
              let hash = Data(base64Encoded: String(parts[5])), hash.count >= 32 else { return nil }
        self.init(rounds: rounds, blockSize: blockSize, parallelism: parallelism, salt: Array(salt), hash: Array(hash))
    }

    /// The encoded form.
    var encoded: String {
        "scrypt$\(rounds)$\(blockSize)$\(parallelism)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Whether `password` is the one hashed, compared in constant time.
    func verify(_ password: String) -> Bool {
        guard let candidate = try? Self.derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism,
                                               length: hash.count) else { return false }
        return LinkCode.constantTimeEqual(candidate, hash)
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int, blockSize: Int, parallelism: Int,
                               length: Int = 32) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: length, rounds: rounds,
                                           blockSize: blockSize, parallelism: parallelism, maxMemory: 256 << 20)
        return key.withUnsafeBytes { Array($0) }
    }
}

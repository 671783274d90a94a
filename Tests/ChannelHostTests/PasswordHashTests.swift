import Foundation
import Testing
@testable import ChannelHost

/// The admin password's scrypt hash: new hashes at the current cost, older ones still valid.
@Suite("Password hash")
struct PasswordHashTests {
    /// `correct horse battery staple` hashed at the old cost (N=2^14, r=8, p=1), as
    /// `sandra hash-password` printed it before the cost was raised.
    static let storedBefore = "scrypt$16384$8$1$AAECAwQFBgcICQoLDA0ODw==$11kKyiyYAc8G7rp3KmncMc44YlkdllIqxOa7pq0fMaU="

    @Test("a hash stored at N=2^14 still checks the right password, refuses a wrong one, and is flagged weaker than new ones")
    func storedHashStillWorks() throws {
        let hash = try #require(PasswordHash(encoded: Self.storedBefore))
        #expect(hash.rounds == 1 << 14)
        #expect(hash.verify("correct horse battery staple"))
        #expect(!hash.verify("correct horse battery stapler"))
        #expect(hash.isWeakerThanDefault)
        #expect(hash.encoded == Self.storedBefore)
    }

    @Test("new hashes use N=2^17, r=8, p=1 and carry them; the host hashes admin.password at that cost")
    func newHashesUseTheCurrentCost() throws {
        #expect(AdminConfiguration().passwordHashRounds == 1 << 17)
        let hash = try PasswordHash.make(password: "correct horse battery staple")
        #expect(hash.encoded.hasPrefix("scrypt$131072$8$1$"))
        #expect(!hash.isWeakerThanDefault)
        let read = try #require(PasswordHash(encoded: hash.encoded))
        #expect(read == hash)
        // Checking at the full cost in a debug build takes seconds; a lower cost checks the same way.
        let cheap = try PasswordHash.make(password: "correct horse battery staple", rounds: 1 << 10)
        #expect(cheap.encoded.hasPrefix("scrypt$1024$8$1$"))
        #expect(cheap.verify("correct horse battery staple"))
        #expect(!cheap.verify("correct horse battery stapl"))
    }
}

import ChannelKitTesting
import Foundation
import Synchronization
import Testing

/// Media never touches the disk: the real `sandra` process, with its own empty TMPDIR,
/// answers a photo and a voice message (through the sandbox's emulated CDN and a local
/// OpenAI-compatible server); no file appears besides the database, no file is even open
/// while the audio is being transcribed, and the logs carry neither media nor words.
@Suite("Media never touches the disk", .serialized)
struct NoDiskTests {
    /// Every regular file below `folder`, relative to it.
    static func files(under folder: String) -> Set<String> {
        var found: Set<String> = []
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return found }
        while let path = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.insert(path)
            }
        }
        return found
    }

    /// What the process's open file descriptors point at, sockets, pipes and devices left out.
    static func openFiles(of pid: Int32) -> [String] {
        let folder = "/proc/\(pid)/fd"
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return descriptors.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0) }
            .filter { !$0.hasPrefix("socket:") && !$0.hasPrefix("pipe:") && !$0.hasPrefix("anon_inode:") && !$0.hasPrefix("/dev/") }
    }

    @Test("a photo turn and a voice turn leave no file behind and open none but the database", .timeLimit(.minutes(2)))
    func noFiles() async throws {
        let data = makeTemporaryDirectory()
        let temporary = makeTemporaryDirectory()
        let voice = MediaFixtures.mp4(milliseconds: 3_000, payloadBytes: 48_000)
        let photo = MediaFixtures.png(width: 6, height: 4)
        let childPID = Mutex<Int32>(0)
        let openDuringTranscription = Mutex<[String]?>(nil)
        let transcript = "Please reserve the blue room"
        let openAI = try await FakeOpenAIServer.start(answer: { request in
            .init(content: request.lastParts != nil ? "a photo of \(request.lastParts?.count ?? 0) parts" : "noted")
        }, transcribe: { request in
            // The host holds the audio in memory right now: look at everything it has open.
            let pid = childPID.withLock { $0 }
            openDuringTranscription.withLock { $0 = Self.openFiles(of: pid) }
            return .init(text: request.file?.content == voice ? transcript : "other audio")
        })
        defer { Task { try? await openAI.stop() } }

        let host = try await ChildHost.launch(configuredFor: { port in try DurabilityTests.write("""
            server: { host: 127.0.0.1, port: \(port), shutdown_timeout_seconds: 5 }
            storage: { path: \(data)/sandra.sqlite }
            assistant: { type: openai, base_url: "\(openAI.baseURL)", model: text-model, api_key: sk-secret-chat }
            transcription: { type: openai, base_url: "\(openAI.baseURL)", api_key: sk-secret-whisper }
            channels:
              instagram: { type: instagram, sandbox: true }
            """) }, environment: ["TMPDIR": temporary], logLevel: "debug").host
        defer { host.terminateInBackground() }
        childPID.withLock { $0 = host.processIdentifier }

        let dataBefore = Self.files(under: data)
        #expect(Self.files(under: temporary).isEmpty)

        for (index, (bytes, type, contentType)) in [(photo, "image", "image/png"), (voice, "audio", "video/mp4")].enumerated() {
            let upload = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/media",
                                                    headers: ["Content-Type": contentType], body: bytes)
            let id = try #require((try upload.json() as? [String: Any])?["id"] as? String)
            let body = try JSONSerialization.data(withJSONObject: ["user": "disk-user", "text": "turn \(index)",
                                                                   "attachments": [["type": type, "media_id": id]]])
            let sent = try await TestHTTP.request("POST", "\(host.baseURL)/sandbox/instagram/api/send",
                                                  headers: ["Content-Type": "application/json"], body: Array(body))
            #expect(sent.status == 200)
            // The emulated Send API returns once the reply has arrived.
            let outbox = try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/api/outbox?min_texts=\(index + 1)&timeout_ms=60000")
            #expect(outbox.status == 200)
        }

        let replies = try #require(try await TestHTTP.get("\(host.baseURL)/sandbox/instagram/api/outbox").json() as? [[String: Any]])
        #expect(replies.compactMap { $0["text"] as? String } == ["a photo of 2 parts", "noted"])
        #expect(openAI.transcriptionRequests.first?.file?.content == voice)

        let opened = try #require(openDuringTranscription.withLock { $0 })
        // The database, its WAL files, and the lock that keeps a second host off it.
        let database = Set(["sandra.sqlite", "sandra.sqlite-wal", "sandra.sqlite-shm", "sandra.sqlite.lock"].map { "\(data)/\($0)" })
        #expect(!opened.isEmpty, "the database should be open")
        #expect(opened.allSatisfy { database.contains($0) }, "files open while the audio was in memory: \(opened)")

        let created = Self.files(under: data).subtracting(dataBefore)
        #expect(created.isSubset(of: ["sandra.sqlite", "sandra.sqlite-wal", "sandra.sqlite-shm", "sandra.sqlite.lock"]), "new files: \(created)")
        #expect(Self.files(under: temporary).isEmpty, "files in TMPDIR: \(Self.files(under: temporary))")

        #expect(await host.terminate() == 0)
        let log = host.log
        #expect(log.contains("media prepared"), "the debug log should have been captured")
        for secret in [transcript, "turn 0", "turn 1", Data(photo).base64EncodedString(), "sk-secret-chat", "sk-secret-whisper"] {
            #expect(!log.contains(secret), "the log contains \(secret.prefix(20))…")
        }
    }
}

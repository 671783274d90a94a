import ChannelKit
import Foundation
import HTTPTypes
import InstagramChannel
import Logging
import MetaPlatform
import Sandbox
import Synchronization
import Testing
import WhatsAppChannel

/// A logger that drops everything.
let testLogger = Logger(label: "sandbox-tests", factory: { _ in SwiftLogNoOpLogHandler() })

let localBaseURL = "http://127.0.0.1:8080"

/// The emulators the host ships.
let testSandboxes: SandboxRegistry = {
    var registry = SandboxRegistry()
    registry.register(InstagramEmulation.self)
    registry.register(WhatsAppEmulation.self)
    return registry
}()

/// A channel of `type` in sandbox mode and its emulator, made the way the host makes them:
/// the channel by its factory, the emulator by the ``SandboxRegistry`` from the same settings.
func makeSandboxChannel(_ type: String, _ settings: ChannelSettings = ChannelSettings([:]), http: any HTTPTransport,
                        name: String? = nil) throws -> (channel: any Channel, sandbox: GraphEmulator) {
    let name = name ?? type
    let context = ChannelContext(http: http, logger: testLogger, localBaseURL: localBaseURL, sandboxMode: true)
    let factory: any ChannelFactory = type == "instagram" ? InstagramChannelFactory() : WhatsAppChannelFactory()
    let channel = try factory.makeChannel(name: name, settings: settings, context: context)
    let sandbox = try #require(testSandboxes.makeSandbox(type: type, name: name, settings: settings, context: context) as? GraphEmulator)
    return (channel, sandbox)
}

/// An ``HTTPTransport`` that serves a channel's emulator in process: requests to
/// `<localBaseURL>/sandbox/<name>/…` go to the emulator, requests to the webhook route go to
/// the channel's `handle`, which it records. No sockets; the same wire format.
final class SandboxLoopback: HTTPTransport, Sendable {
    private let served = Mutex<(channel: any Channel, sandbox: GraphEmulator)?>(nil)
    private let recorded = Mutex<(bodies: [[UInt8]], outcomes: [WebhookOutcome], requests: [OutboundHTTPRequest])>(([], [], []))
    private let name: String

    init(name: String) { self.name = name }

    func attach(_ channel: any Channel, _ sandbox: GraphEmulator) { served.withLock { $0 = (channel, sandbox) } }

    var webhookBodies: [[UInt8]] { recorded.withLock { $0.bodies } }
    var outcomes: [WebhookOutcome] { recorded.withLock { $0.outcomes } }
    var requests: [OutboundHTTPRequest] { recorded.withLock { $0.requests } }

    func execute(_ request: OutboundHTTPRequest) async throws -> OutboundHTTPResponse {
        recorded.withLock { $0.requests.append(request) }
        guard let (channel, sandbox) = served.withLock({ $0 }), let components = URLComponents(string: request.url) else {
            throw HTTPTransportError(.invalidURL, request.url)
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] where query[item.name] == nil { query[item.name] = item.value ?? "" }
        let sandboxPrefix = ChannelContext.sandboxPath(for: name)
        if components.path.hasPrefix(sandboxPrefix) {
            let response = await sandbox.handle(SandboxRequest(method: request.method, path: String(components.path.dropFirst(sandboxPrefix.count)),
                                                               query: query, headers: request.headers, body: request.body ?? []))
            return OutboundHTTPResponse(status: response.status, headers: response.headers, body: response.body)
        }
        if components.path == ChannelContext.webhookPath(for: name) {
            let body = request.body ?? []
            recorded.withLock { $0.bodies.append(body) }
            do {
                let outcome = try channel.handle(WebhookRequest(method: request.method, query: query, headers: request.headers, body: body), logger: testLogger)
                recorded.withLock { $0.outcomes.append(outcome) }
                return OutboundHTTPResponse(status: .ok, body: Array("EVENT_RECEIVED".utf8))
            } catch let error as ChannelError {
                return OutboundHTTPResponse(status: error.code == .forbidden ? .forbidden : .badRequest)
            }
        }
        return OutboundHTTPResponse(status: .notFound)
    }
}

/// A WhatsApp channel in sandbox mode whose HTTP goes to its own emulator, in process.
func sandboxChannel(_ settings: ChannelSettings = ChannelSettings([:])) throws -> (channel: any Channel, sandbox: GraphEmulator) {
    let loopback = SandboxLoopback(name: "whatsapp")
    let (channel, sandbox) = try makeSandboxChannel("whatsapp", settings, http: loopback)
    loopback.attach(channel, sandbox)
    return (channel, sandbox)
}

/// Calls an emulator route and decodes its JSON.
func sandboxCall(_ sandbox: any ChannelSandbox, _ method: HTTPRequest.Method, _ path: String, query: [String: String] = [:],
                 headers: HTTPFields = [:], body: [UInt8] = []) async throws -> (status: Int, json: MetaJSON?, body: [UInt8]) {
    let response = await sandbox.handle(SandboxRequest(method: method, path: path, query: query, headers: headers, body: body))
    return (response.status.code, try? MetaJSON.decode(response.body), response.body)
}

/// The message of an event, or a thrown error.
func message(of event: InboundEvent) throws -> InboundMessage {
    if case .message(let message) = event.kind { return message }
    throw ChannelError.malformedPayload("not a message: \(event.kind)")
}

/// The thrown ``ChannelError``, or `nil`.
func channelError(_ body: () async throws -> Void) async -> ChannelError? {
    do { try await body() } catch { return error as? ChannelError }
    return nil
}

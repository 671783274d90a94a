import ChannelKit
import HTTPTypes
import Logging

/// Calls Meta's Graph API with a bearer token over the host's ``HTTPTransport``, and turns
/// every failure into a ``ChannelError`` through ``GraphAPIError``.
///
/// ```swift
/// let graph = GraphAPIClient(http: context.http, baseURL: "https://graph.facebook.com",
///                            apiVersion: "v27.0", accessToken: token)
/// let reply = try await graph.post("me/messages", body: ["recipient": ["id": "123"], …], logger: logger)
/// reply["message_id"]?.stringValue
/// ```
public struct GraphAPIClient: Sendable {
    /// Outbound HTTP.
    public var http: any HTTPTransport
    /// The Graph host, without a trailing slash (`https://graph.facebook.com`).
    public var baseURL: String
    /// The version path segment (`v27.0`).
    public var apiVersion: String
    /// How long one call may take.
    public var timeout: Duration
    /// The largest response body read.
    public var maxResponseBytes: Int
    /// The token; never logged and redacted from error messages.
    private let accessToken: String
    /// The app secret that keys `appsecret_proof`, when calls carry one; `nil` otherwise.
    private let proofSecret: String?

    /// Creates a client.
    /// - Parameters:
    ///   - http: outbound HTTP.
    ///   - baseURL: the Graph host (`https://graph.facebook.com`, `https://graph.instagram.com`, or an emulator).
    ///   - apiVersion: the version path segment (`v27.0`).
    ///   - accessToken: the bearer token.
    ///   - timeout: how long one call may take (15 s by default).
    ///   - maxResponseBytes: the largest response body read (64 KiB by default).
    ///   - appSecretProofKey: the app secret, when every call must carry `appsecret_proof`
    ///     (``AppSecretProof``); `nil` (the default) or empty sends none.
    public init(http: any HTTPTransport, baseURL: String, apiVersion: String, accessToken: String,
                timeout: Duration = .seconds(15), maxResponseBytes: Int = 64 * 1024, appSecretProofKey: String? = nil) {
        self.http = http
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiVersion = apiVersion
        self.accessToken = accessToken
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.proofSecret = appSecretProofKey.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The same client with another token (a Page token exchanged for the configured one).
    public func with(accessToken token: String) -> GraphAPIClient {
        GraphAPIClient(http: http, baseURL: baseURL, apiVersion: apiVersion, accessToken: token, timeout: timeout,
                       maxResponseBytes: maxResponseBytes, appSecretProofKey: proofSecret)
    }

    /// Whether calls carry `appsecret_proof`.
    public var sendsAppSecretProof: Bool { proofSecret != nil }

    /// The absolute URL of a Graph path (`me/messages` → `<base>/<version>/me/messages`), with
    /// `appsecret_proof` appended when the client sends it.
    /// - Parameter path: the path after the version, without a leading slash; it may carry a
    ///   query (`<page-id>?fields=access_token`).
    public func url(for path: String) -> String {
        withProof("\(baseURL)/\(apiVersion)/\(path)")
    }

    /// `url` with `appsecret_proof` added to its query, when the client sends it.
    func withProof(_ url: String) -> String {
        guard let proofSecret else { return url }
        let separator = url.contains("?") ? "&" : "?"
        return url + separator + AppSecretProof.parameterName + "=" + AppSecretProof.make(accessToken: accessToken, appSecret: proofSecret)
    }

    /// The token this client sends, for calls whose URL must carry it (`refresh_access_token`).
    var token: String { accessToken }

    /// The request ``post(_:body:logger:)`` sends, for inspection.
    /// - Parameters:
    ///   - path: the path after the version.
    ///   - body: the JSON body.
    public func request(_ path: String, body: MetaJSON) -> OutboundHTTPRequest {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(accessToken)"
        headers[.contentType] = "application/json"
        headers[.accept] = "application/json"
        return OutboundHTTPRequest(method: .post, url: url(for: path), headers: headers, body: body.encoded(),
                                   timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    /// The request ``get(_:logger:)`` sends, for inspection.
    /// - Parameter path: the path after the version (`<media-id>`).
    public func getRequest(_ path: String) -> OutboundHTTPRequest {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(accessToken)"
        headers[.accept] = "application/json"
        return OutboundHTTPRequest(method: .get, url: url(for: path), headers: headers,
                                   timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    /// A `GET` of an absolute URL carrying the bearer token: how WhatsApp media is downloaded
    /// from the URL a media lookup returned ("If you omit your token, the request will fail").
    /// - Parameters:
    ///   - url: the absolute URL.
    ///   - maxResponseBytes: the largest body accepted.
    ///   - timeout: how long the download may take.
    public func authorizedDownload(url: String, maxResponseBytes: Int, timeout: Duration) -> OutboundHTTPRequest {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(accessToken)"
        return OutboundHTTPRequest(method: .get, url: url, headers: headers, timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    /// Posts a JSON body.
    /// - Parameters:
    ///   - path: the path after the version (`me/messages`).
    ///   - body: the JSON body.
    ///   - logger: where to log the outcome (never the token, never the body).
    /// - Returns: the response body as JSON (`null` when a successful response has no JSON).
    /// - Throws: ``ChannelError`` — `.transient`, `.unauthorized`, `.permanent` or
    ///   `.misconfigured` — classified by ``GraphAPIError``; `CancellationError` as it is.
    public func post(_ path: String, body: MetaJSON, logger: Logger) async throws -> MetaJSON {
        try await perform(request(path, body: body), path: path, logger: logger)
    }

    /// Reads a Graph object (`GET <base>/<version>/<path>`).
    /// - Parameters:
    ///   - path: the path after the version (`<media-id>`).
    ///   - logger: where to log the outcome (never the token).
    /// - Returns: the response body as JSON.
    /// - Throws: ``ChannelError`` as ``post(_:body:logger:)`` does.
    public func get(_ path: String, logger: Logger) async throws -> MetaJSON {
        try await perform(getRequest(path), path: path, logger: logger)
    }

    /// Performs a request whose answer is JSON, turning every failure into a ``ChannelError``.
    /// - Parameters:
    ///   - request: a request built by this client.
    ///   - path: the Graph path, for logs.
    ///   - logger: where to log the outcome.
    /// - Returns: the response body as JSON (`null` when a successful response has no JSON).
    /// - Throws: ``ChannelError`` as ``post(_:body:logger:)`` does.
    public func perform(_ request: OutboundHTTPRequest, path: String, logger: Logger) async throws -> MetaJSON {
        let response = try await execute(request, path: path, logger: logger)
        return (try? MetaJSON.decode(response.body)) ?? .null
    }

    /// Performs a request and returns its successful response as it is.
    /// - Parameters:
    ///   - request: a request built by this client.
    ///   - path: a name for logs (never a URL with a secret in it).
    ///   - logger: where to log the outcome.
    /// - Returns: the 2xx response.
    /// - Throws: ``ChannelError`` classified by ``GraphAPIError``; `CancellationError` as it is.
    public func execute(_ request: OutboundHTTPRequest, path: String, logger: Logger) async throws -> OutboundHTTPResponse {
        guard !accessToken.isEmpty else {
            throw ChannelError(.misconfigured, "no Graph API access token is configured")
        }
        let response: OutboundHTTPResponse
        do {
            response = try await http.execute(request)
        } catch {
            let mapped = GraphAPIError.classify(transportError: error)
            logger.warning("Graph API request failed", metadata: ["graph.path": "\(path)", "error": "\(mapped)"])
            throw mapped
        }
        guard response.status.kind == .successful else {
            let error = GraphAPIError.classify(status: response.status, headers: response.headers,
                                               body: response.body, redacting: [accessToken])
            logger.warning("Graph API call failed", metadata: ["graph.path": "\(path)", "error": "\(error)"])
            throw error
        }
        logger.debug("Graph API call succeeded", metadata: ["graph.path": "\(path)", "http.status": "\(response.status.code)"])
        return response
    }
}

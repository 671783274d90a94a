import AsyncHTTPClient
import ChannelIdentity
import ChannelKit
import ChannelMedia
import ChannelPipeline
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// Everything one running host is made of, built from a configuration.
///
/// `sandra serve` builds one and runs its service group; end-to-end tests build one in
/// process on a loopback port and drive it over HTTP.
struct HostRuntime: Sendable {
    let configuration: HostConfiguration
    /// The served channels; reconfigured live from the admin portal.
    let supervisor: ChannelSupervisor
    let pipeline: Pipeline
    /// Identity linking, unless `identity.enabled` is false.
    let identityLinking: IdentityLinkFlow?
    /// What sends identity linking's emails.
    let mailer: any Mailer
    let store: any HostStore
    let status: ChannelStatusBoard
    /// Admin portal logins and lockouts.
    let adminSessions: AdminSessions
    let httpClient: HTTPClient
    let prometheus: PrometheusCollectorRegistry
    let logger: Logger
    /// The host's clock (identity linking, token refreshes); tests pass their own.
    let now: @Sendable () -> Date

    /// Opens the store, builds the channels and the pipeline, and takes up the work an
    /// earlier run left (released leases, expired old messages, queued the rest).
    /// - Parameters:
    ///   - tracing: the spans of each message's way (``HostTracing``); off by default.
    ///   - now: identity linking's clock (code lifetimes, rate limits); tests pass their own.
    /// - Throws: ``HostStartError`` when the store cannot be opened or a channel cannot be made.
    static func build(configuration: HostConfiguration, registry: ChannelRegistry, logger: Logger,
                      prometheus: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                      tracing: PipelineTracing = .off,
                      now: @escaping @Sendable () -> Date = { Date() }) async throws -> HostRuntime {
        let store = try await StoreFactory.open(configuration.storage, role: .host, logger: logger)
        let httpClient = AsyncHTTPTransport.makeClient()
        do {
            let secrets: SecretBox
            do {
                let loaded = try SecretBox.load(configuredKey: configuration.admin.secretKey, file: secretKeyFile(for: configuration))
                secrets = loaded.box
                logger.debug("secret key for saved settings loaded", metadata: ["from": "\(loaded.source)"])
            } catch {
                throw HostStartError(component: "admin settings", message: "\(error)")
            }
            let overrides = try await ChannelSupervisor.loadOverrides(for: configuration, registry: registry, store: store,
                                                                      secrets: secrets, logger: logger)
            let adminSessions: AdminSessions
            do {
                adminSessions = try await AdminSessions.make(configuration: configuration.admin, store: store)
            } catch {
                throw HostStartError(component: "admin portal", message: "the admin password cannot be hashed: \(error)")
            }
            if adminSessions.passwordHashIsWeak {
                logger.notice("admin.password_hash was made with a lower scrypt cost than new hashes use; it still works, and `sandra hash-password` makes a stronger one")
            }
            let runtime = try build(configuration: configuration, registry: registry, logger: logger, prometheus: prometheus,
                                    httpClient: httpClient, store: store, secrets: secrets, overrides: overrides,
                                    adminSessions: adminSessions, tracing: tracing, now: now)
            try await runtime.pipeline.start()
            return runtime
        } catch {
            try? await httpClient.shutdown()
            await store.close()
            throw error
        }
    }

    private static func build(configuration: HostConfiguration, registry: ChannelRegistry, logger: Logger,
                              prometheus: PrometheusCollectorRegistry, httpClient: HTTPClient, store: any HostStore,
                              secrets: SecretBox, overrides: ChannelSupervisor.Overrides, adminSessions: AdminSessions,
                              tracing: PipelineTracing, now: @escaping @Sendable () -> Date) throws -> HostRuntime {
        let transport = AsyncHTTPTransport(client: httpClient, timers: ProcessThreads.timers)
        let localBaseURL = Self.localBaseURL(host: configuration.server.host, port: configuration.server.port)
        let supervisor = try ChannelSupervisor(
            configuration: configuration, overrides: overrides,
            maker: ChannelSupervisor.Maker(registry: registry, transport: transport, logger: logger, localBaseURL: localBaseURL),
            store: store, secrets: secrets)
        let served = supervisor.all
        var mediaPolicies: [String: MediaPolicy] = [:]
        for mounted in served {
            mediaPolicies[mounted.configuration.name] = Self.mediaPolicy(for: mounted.configuration, profile: mounted.channel.profile,
                                                                        sandboxMode: mounted.sandboxMode, localBaseURL: localBaseURL)
        }
        let offNames = Set(supervisor.offNames)
        let status = ChannelStatusBoard(
            channels: configuration.channels.filter(\.enabled).map { channel in
                (name: channel.name, mode: offNames.contains(channel.name) ? ChannelMode.off : supervisor.channel(named: channel.name)?.mode ?? .off)
            },
            degradedAfter: TimeInterval(configuration.server.degradedAfterSeconds))
        let metricsFactory = DescribedMetricsFactory(registry: prometheus)
        let metrics = PipelineMetrics(channels: supervisor.names, factory: metricsFactory)
        let assistant: any Assistant = switch configuration.assistant.type {
        case .echo: EchoAssistant()
        case .openai: OpenAIAssistant(
                http: transport, baseURL: configuration.assistant.baseURL, apiKey: configuration.assistant.apiKey,
                model: configuration.assistant.model, visionModel: configuration.assistant.effectiveVisionModel,
                systemPrompt: configuration.assistant.systemPrompt,
                timeout: .seconds(configuration.assistant.timeoutSeconds))
        }
        let transcriber: (any Transcriber)? = switch configuration.transcription.type {
        case .openai: OpenAITranscriber(
                http: transport, baseURL: configuration.transcription.baseURL, apiKey: configuration.transcription.apiKey,
                model: configuration.transcription.model, language: configuration.transcription.language,
                timeout: .seconds(configuration.transcription.timeoutSeconds))
        // The labelled stand-in only ever answers alongside the echo assistant.
        case .none: configuration.assistant.type == .echo ? EchoTranscriber() : nil
        }
        let preparer = MediaPreparer(fetcher: MediaFetcher(http: transport, timers: ProcessThreads.timers), policies: mediaPolicies, transcriber: transcriber)
        let identity = configuration.identity
        let mailer = try makeMailer(identity.email)
        let identityLinking = identity.enabled ? IdentityLinkFlow(
            store: store, mailer: ObservedMailer(base: mailer, status: status, metrics: MailMetrics(factory: metricsFactory)),
            options: IdentityLinkFlow.Options(
                codeLifetime: .seconds(identity.codeTTLSeconds), maxAttempts: identity.maxAttempts,
                limits: CodeLimits(perIdentity: identity.maxCodesPerUserPerHour, perEmail: identity.maxCodesPerEmailPerHour, window: 3600),
                mailRetryDelay: .seconds(identity.email.retryDelaySeconds), maxMailAttempts: identity.email.maxSendAttempts,
                channelDisplayNames: Dictionary(uniqueKeysWithValues: served.map { ($0.configuration.name, $0.displayName) })),
            now: now) : nil
        if identityLinking != nil {
            logger.notice("identity linking is on", metadata: ["mailer": "\(mailer.summary)", "shared_history": "\(identity.sharedHistory)"])
        }
        var options = Pipeline.Options(
            maxConcurrentConversations: configuration.pipeline.maxConcurrentConversations,
            historyTurns: configuration.assistant.historyTurns,
            assistantTimeout: .seconds(configuration.assistant.timeoutSeconds + 1),
            typingDelay: .milliseconds(configuration.pipeline.typingIndicatorDelayMilliseconds),
            retry: RetryPolicy(attempts: configuration.pipeline.sendAttempts),
            maxAttempts: configuration.pipeline.maxAttempts,
            lease: .seconds(configuration.pipeline.leaseSeconds),
            maxMessageAge: .seconds(configuration.pipeline.maxMessageAgeSeconds),
            unauthorizedPause: .seconds(configuration.pipeline.unauthorizedPauseSeconds),
            sharedHistory: identity.sharedHistory,
            maxInterruptedClaims: configuration.pipeline.maxInterruptedClaims,
            assistantRetryWindow: .seconds(configuration.assistant.retryWindowSeconds),
            assistantHoldNoteAfter: .seconds(configuration.assistant.holdNoteAfterSeconds),
            workerID: configuration.pipeline.effectiveWorkerID(port: configuration.server.port),
            sharedStore: configuration.storage.postgres.isEnabled)
        options.handover = configuration.handover.policy
        let pipeline = Pipeline(
            channels: served.map(\.channel), store: store, identities: store, assistant: assistant,
            preparer: ReadableMessageStep(unreadableReply: configuration.assistant.unreadableReply, next: preparer),
            options: options,
            metrics: metrics, health: HostObserver(status: status), tracing: tracing, commands: identityLinking.map { [$0] } ?? [],
            executor: ProcessThreads.replies, timers: ProcessThreads.timers, logger: logger)
        supervisor.attach(ChannelSupervisor.Swap(pipeline: pipeline, preparer: preparer, status: status))
        return HostRuntime(configuration: configuration, supervisor: supervisor, pipeline: pipeline, identityLinking: identityLinking,
                           mailer: mailer, store: store, status: status, adminSessions: adminSessions, httpClient: httpClient,
                           prometheus: prometheus, logger: logger, now: now)
    }

    /// The file that holds the key sealing saved secrets: `admin.secret_key_file`, or
    /// `secret.key` beside the database.
    static func secretKeyFile(for configuration: HostConfiguration) -> String {
        if !configuration.admin.secretKeyFile.isEmpty { return configuration.admin.secretKeyFile }
        let directory = (configuration.storage.path as NSString).deletingLastPathComponent
        return ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent("secret.key")
    }

    /// The SMTP mailer for `smtp_url`, or the development mailer that writes emails to the log.
    static func makeMailer(_ email: IdentityEmailConfiguration) throws -> any Mailer {
        guard email.usesSMTP else { return DevelopmentLogMailer() }
        guard let from = MailboxAddress(email.from) else {
            throw HostStartError(component: "identity email", message: "identity.email.from is not an address")
        }
        return SMTPMailer(settings: SMTPMailer.Settings(
            url: email.smtpURL, username: email.username, password: email.password, from: from, startTLS: email.startTLS,
            caFile: email.caFile.isEmpty ? nil : email.caFile, connectTimeout: .seconds(email.connectTimeoutSeconds),
            timeout: .seconds(email.timeoutSeconds)))
    }

    /// Where a channel's media may come from: the channel type's hosts plus
    /// `media_allowed_hosts` over HTTPS; `media_allow_http_hosts` and, in sandbox mode, this
    /// host's own address (the sandbox serves uploaded media) over plain HTTP.
    static func mediaPolicy(for channel: ChannelConfiguration, profile: ChannelProfile, sandboxMode: Bool,
                            localBaseURL: String) -> MediaPolicy {
        var plainHTTPHosts = channel.mediaAllowHTTPHosts
        if sandboxMode, let components = URLComponents(string: localBaseURL), let host = components.host, let port = components.port {
            let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            plainHTTPHosts.append("\(bracketed):\(port)")
        }
        var allowedHosts = profile.allowedMediaHosts
        for host in channel.mediaAllowedHosts where !allowedHosts.contains(host) { allowedHosts.append(host) }
        return MediaPolicy(allowedHosts: allowedHosts, plainHTTPHosts: plainHTTPHosts, maxBytes: channel.mediaMaxBytes,
                           timeout: .seconds(channel.mediaTimeoutSeconds))
    }

    /// The URL this process reaches itself at.
    static func localBaseURL(host: String, port: Int) -> String {
        let reachable = switch host {
        case "0.0.0.0", "": "127.0.0.1"
        case "::", "[::]": "[::1]"
        default: host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
        return "http://\(reachable):\(port)"
    }

    /// The HTTP application: routes, middleware, the connection limits of `server:` and the
    /// server start callback.
    func makeApplication() -> some ApplicationProtocol {
        let router = Router(context: HostRequestContext.self)
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: HostAllowlistMiddleware(allowlist: HostAllowlist(server: configuration.server,
                                                                                publicBaseURL: configuration.admin.publicBaseURL)))
        let store = self.store
        HealthRoutes(status: status, prometheus: prometheus, storeProblem: { await store.unreachableReason() },
                     benchmarkRoutes: configuration.server.benchmarkRoutes).register(on: router)
        let metricsFactory = DescribedMetricsFactory(registry: prometheus)
        let refusals = WebhookRefusals(channels: supervisor.names, factory: metricsFactory)
        let acks = WebhookAcks(channels: supervisor.names, factory: metricsFactory)
        WebhookRoutes(supervisor: supervisor, pipeline: pipeline, status: status, refusals: refusals, acks: acks).register(on: router)
        SandboxRoutes(supervisor: supervisor, origins: SameOriginPolicy(publicBaseURL: configuration.admin.publicBaseURL)).register(on: router)
        DataDeletionRoutes(supervisor: supervisor, erasure: PersonErasure(store: store), store: store, status: status,
                           publicBaseURL: configuration.admin.publicBaseURL,
                           fallbackHost: "\(configuration.server.host):\(configuration.server.port)").register(on: router)
        AdminRoutes(runtime: self).register(on: router)
        let status = self.status
        let limits = ConnectionLimits(configuration.server)
        return Application(
            router: router,
            server: GuardedHTTP1Channel.builder(limits: limits, counter: ClientConnectionCounter(cap: limits.maxConnectionsPerClient)),
            configuration: .init(address: .hostname(configuration.server.host, port: configuration.server.port), serverName: "sandra"),
            onServerRunning: { channel in status.serverStarted(port: channel.localAddress?.port) },
            logger: logger)
    }

    /// Seconds a shutdown may take beyond `server.shutdown_timeout_seconds` (the replies' deadline)
    /// to stop the server and the HTTP client before the rest is cancelled.
    static let shutdownMargin = 5

    /// The services in start order; shutdown runs in reverse: the email retries, the token
    /// refreshes, the retention sweeps (at start, then hourly) and the inbox gauges' refreshes stop, the pipeline drains (webhooks answer 503 meanwhile, so the platform redelivers) and closes
    /// the store, then the server stops, then the HTTP client closes.
    /// - Parameters:
    ///   - lifecycleLogger: where the service group reports its own steps (the host's logger by default).
    ///   - first: services started before the others and so stopped after them (the span exporter).
    func makeServiceGroup(signals: [UnixSignal], lifecycleLogger: Logger? = nil, first: [any Service] = []) -> ServiceGroup {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = first.map { .init(service: $0) }
        services += [
            .init(service: HTTPClientService(client: httpClient)),
            .init(service: ServerService(application: makeApplication(), status: status)),
            .init(service: PipelineService(pipeline: pipeline, supervisor: supervisor, store: store, status: status,
                                           deadline: .seconds(configuration.server.shutdownTimeoutSeconds), logger: logger)),
        ]
        services.append(.init(service: InboxGaugeService(
            store: store, gauges: InboxGauges(channels: supervisor.names, factory: DescribedMetricsFactory(registry: prometheus)),
            interval: InboxGaugeService.defaultInterval, logger: logger)))
        services.append(.init(service: RetentionService(store: store, retentionDays: configuration.storage.retentionDays,
                                                        interval: RetentionService.defaultInterval, logger: logger)))
        services.append(.init(service: TokenRefreshService(supervisor: supervisor, status: status, interval: TokenRefreshService.defaultInterval,
                                                           now: now, logger: logger, shared: store)))
        if let identityLinking {
            let retryDelay = configuration.identity.email.retryDelaySeconds
            services.append(.init(service: IdentityMailService(flow: identityLinking, interval: .seconds(min(15, max(1, retryDelay))),
                                                               logger: logger)))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: signals,
                                                           logger: lifecycleLogger ?? logger)
        // A shutdown still going well after the replies' deadline (a client holding a request
        // open, say) is escalated to cancellation: a SIGTERM always ends the process.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.server.shutdownTimeoutSeconds + Self.shutdownMargin)
        return ServiceGroup(configuration: groupConfiguration)
    }
}

/// The host could not start a component.
struct HostStartError: Error, CustomStringConvertible {
    let component: String
    let message: String
    var description: String { "\(component) cannot start: \(message)" }
}

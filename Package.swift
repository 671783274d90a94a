// swift-tools-version:6.2
import PackageDescription

/// Settings shared by every target: Swift 6 language mode (the tools default) plus the
/// upcoming features the server projects we model ourselves on turn on.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The Meta-family channels. Each is `Sources/Channels/<Name>` on the Meta core (target
/// `<Name>Channel`, a library product of the same name) with its tests in
/// `Tests/<Name>ChannelTests`, and the host links it: adding one is one name here (see the
/// end of this file and docs/adding-a-channel.md).
let metaChannels = ["Instagram", "WhatsApp", "Messenger"]

let package = Package(
    name: "sandra-channels",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ChannelKit", targets: ["ChannelKit"]),
        .library(name: "ChannelConcurrency", targets: ["ChannelConcurrency"]),
        .library(name: "ChannelRendering", targets: ["ChannelRendering"]),
        .library(name: "ChannelMedia", targets: ["ChannelMedia"]),
        .library(name: "ChannelIdentity", targets: ["ChannelIdentity"]),
        .library(name: "ChannelPipeline", targets: ["ChannelPipeline"]),
        .library(name: "ChannelKitTesting", targets: ["ChannelKitTesting"]),
        .library(name: "ExampleWebhookChannel", targets: ["ExampleWebhookChannel"]),
        .library(name: "Sandbox", targets: ["Sandbox"]),
        .library(name: "SQLiteStorage", targets: ["SQLiteStorage"]),
        .library(name: "PostgreSQLStorage", targets: ["PostgreSQLStorage"]),
        .executable(name: "sandra", targets: ["ChannelHost"]),
        .executable(name: "SandraBench", targets: ["SandraBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.25.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.0"),
        // OTLP over HTTP only: the gRPC exporter's trait would build grpc-swift for nothing.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // cmark-gfm from Debian's libcmark-gfm-dev + libcmark-gfm-extensions-dev.
        .systemLibrary(
            name: "CCmarkGFM",
            pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        // libcurl from Debian's libcurl4-openssl-dev (SMTP for identity-linking emails).
        .systemLibrary(
            name: "CLibcurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Typed wrappers around libcurl's variadic curl_easy_setopt, which Swift cannot call.
        .target(
            name: "CCurl",
            dependencies: ["CLibcurl"],
            linkerSettings: [.linkedLibrary("curl")]
        ),
        // The API package: contracts only (events, profiles, `Channel`, store and assistant
        // protocols, errors). No system library, no crypto, no threads of its own.
        .target(
            name: "ChannelKit",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Deadlines on a timer thread of their own (`withDeadline`), for the media fetcher,
        // the pipeline and the host's HTTP client.
        .target(
            name: "ChannelConcurrency",
            swiftSettings: swiftSettings
        ),
        // Markdown → each channel's dialect, split within its text limit (cmark-gfm).
        .target(
            name: "ChannelRendering",
            dependencies: ["ChannelKit", "CCmarkGFM"],
            swiftSettings: swiftSettings
        ),
        // Media fetched into memory (allowlists, public addresses only, integrity), sniffed and
        // prepared for the assistant: images as image parts, voice as a transcript.
        .target(
            name: "ChannelMedia",
            dependencies: [
                "ChannelKit",
                "ChannelConcurrency",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // The email-code identity linking flow (/link, code, /unlink, /whoami).
        .target(
            name: "ChannelIdentity",
            dependencies: [
                "ChannelKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The steps of one message and their composition (`Pipeline`), the conversation
        // dispatcher and the reply executor.
        .target(
            name: "ChannelPipeline",
            dependencies: [
                "ChannelKit",
                "ChannelConcurrency",
                "ChannelRendering",
                "ChannelMedia",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shared Meta webhook pieces: handshake, signature, Graph API errors.
        .target(
            name: "MetaPlatform",
            dependencies: [
                "ChannelKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Sources/Channels/Meta",
            swiftSettings: swiftSettings
        ),
        // The example channel `docs/adding-a-channel.md` walks through: a generic
        // HMAC-signed JSON webhook. It depends on ChannelKit alone.
        .target(
            name: "ExampleWebhookChannel",
            dependencies: [
                "ChannelKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Channels/Example",
            swiftSettings: swiftSettings
        ),
        // The platforms' local emulators, beside the channels: one Graph emulator engine and
        // one page, with a small description per platform. Only the host mounts them.
        .target(
            name: "Sandbox",
            dependencies: [
                "ChannelKit",
                "ChannelMedia",
                "MetaPlatform",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // What both stores share: events and reply parts as stored JSON, times as milliseconds.
        .target(
            name: "StoreSupport",
            dependencies: ["ChannelKit"],
            path: "Sources/Stores/Common",
            swiftSettings: swiftSettings
        ),
        // The embedded durable store: SQLite in WAL mode, group commit. It calls SQLite's C
        // API directly, on threads of its own; SQLiteNIO is here for the SQLite it vendors.
        .target(
            name: "SQLiteStorage",
            dependencies: [
                "ChannelKit",
                "StoreSupport",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Stores/SQLite",
            swiftSettings: swiftSettings
        ),
        // The shared durable store: PostgreSQL through postgres-nio's connection pool, for
        // several hosts on one database.
        .target(
            name: "PostgreSQLStorage",
            dependencies: [
                "ChannelKit",
                "StoreSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Stores/PostgreSQL",
            swiftSettings: swiftSettings
        ),
        // Test support: fakes, payload signing, HTTP helpers.
        .target(
            name: "ChannelKitTesting",
            dependencies: [
                "ChannelKit", "ChannelConcurrency", "ChannelRendering", "ChannelMedia", "ChannelIdentity", "ChannelPipeline",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support for the PostgreSQL store and the hosts that share one: a throwaway
        // PostgreSQL cluster per test process.
        .target(
            name: "PostgreSQLTesting",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ChannelHost",
            dependencies: [
                "ChannelKit",
                "ChannelConcurrency",
                "ChannelMedia",
                "ChannelIdentity",
                "ChannelPipeline",
                "CCurl",
                "MetaPlatform",
                "ExampleWebhookChannel",
                "Sandbox",
                "SQLiteStorage",
                "PostgreSQLStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            path: "Sources/Host",
            swiftSettings: swiftSettings
        ),
        // `make bench`: load generators, the fake Graph Send API and the report (no host code).
        // The JSON phase (`SandraBench json`) also calls the Meta webhook reader and the
        // stores' JSON, to compare them with Foundation's coders on the same bodies; the
        // rendering one (`SandraBench render`) the renderer with Instagram's and WhatsApp's profiles.
        .executableTarget(
            name: "SandraBench",
            dependencies: [
                "ChannelKit",
                "ChannelRendering",
                "MetaPlatform",
                "InstagramChannel",
                "WhatsAppChannel",
                "StoreSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Bench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChannelKitTests",
            dependencies: [
                "ChannelKit", "ChannelConcurrency", "ChannelRendering", "ChannelMedia", "ChannelIdentity", "ChannelPipeline",
                "ChannelKitTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SQLiteStorageTests",
            dependencies: [
                "SQLiteStorage", "StoreSupport", "ChannelKit", "ChannelKitTesting",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgreSQLStorageTests",
            dependencies: [
                "PostgreSQLStorage", "PostgreSQLTesting", "ChannelKit", "ChannelPipeline", "ChannelKitTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                "Sandbox", "InstagramChannel", "WhatsAppChannel", "MetaPlatform", "ChannelKit", "ChannelMedia", "ChannelKitTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExampleWebhookChannelTests",
            dependencies: [
                "ExampleWebhookChannel", "ChannelKit", "ChannelKitTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChannelHostTests",
            dependencies: [
                "ChannelHost", "ChannelKit", "ChannelMedia", "ChannelIdentity", "ChannelPipeline", "ChannelKitTesting", "ExampleWebhookChannel", "Sandbox",
                "MetaPlatform", "SQLiteStorage", "PostgreSQLStorage", "PostgreSQLTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// The Meta-family channels' targets, products and tests, all alike.
for name in metaChannels {
    package.products.append(.library(name: "\(name)Channel", targets: ["\(name)Channel"]))
    package.targets.append(.target(
        name: "\(name)Channel",
        dependencies: [
            "ChannelKit",
            "MetaPlatform",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ],
        path: "Sources/Channels/\(name)",
        swiftSettings: swiftSettings
    ))
    package.targets.append(.testTarget(
        name: "\(name)ChannelTests",
        dependencies: [
            .target(name: "\(name)Channel"), "MetaPlatform", "ChannelKit", "ChannelRendering", "ChannelMedia", "ChannelPipeline",
            "ChannelKitTesting",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ],
        swiftSettings: swiftSettings
    ))
    // The host registers it (BuiltinChannels.swift), and its end-to-end tests drive it.
    for dependent in package.targets where ["ChannelHost", "ChannelHostTests"].contains(dependent.name) {
        dependent.dependencies.append(.target(name: "\(name)Channel"))
    }
}

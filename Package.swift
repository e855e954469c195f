// swift-tools-version:6.1
import PackageDescription

// Dependencies: only packages the team's package mirror holds, `from:` a version it holds; add one only when needed.
let package = Package(
    name: "vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        // The node agent `vigil agent` becomes: small enough to run on every host (docs/monitoring.md).
        .executable(name: "vigil-agent", targets: ["vigil-agent"]),
        .executable(name: "VigilBenchmarks", targets: ["VigilBenchmarks"]),
        .executable(name: "VigilFuzz", targets: ["VigilFuzz"]),
        .library(name: "VigilServer", targets: ["VigilServer"]),
        // For apps written in Swift: a swift-log handler writing Vigil's JSON log-line convention (docs/app-logging.md).
        .library(name: "VigilLogHandler", targets: ["VigilLogHandler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .target(
            name: "VigilCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "VigilLedger",
            dependencies: ["VigilCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "VigilSQL", dependencies: ["VigilCore"]),
        // Sigma rules and their evaluation over audit events: pure, no database and no HTTP.
        .target(name: "VigilDetection", dependencies: ["VigilCore", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "VigilStore",
            dependencies: [
                "VigilCore", "VigilLedger", "VigilSQL",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "VigilAccess",
            dependencies: ["VigilCore", "VigilStore", "VigilSQL", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "VigilLogs",
            dependencies: [
                "VigilCore", "VigilStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "VigilMonitoring",
            dependencies: [
                "VigilCore", "VigilStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Uses FoundationEssentials only (never Foundation): `vigil-agent` links it and must stay small.
        .target(
            name: "VigilAgent",
            dependencies: [
                "VigilCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(name: "VigilLogHandler", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Notification destinations, the persistent outbox, and the webhook, Slack, Alertmanager and SMTP senders.
        .target(
            name: "VigilNotify",
            dependencies: [
                "VigilCore", "VigilStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Detections running on the committed stream, their rules and alert history.
        .target(
            name: "VigilAlerts",
            dependencies: [
                "VigilCore", "VigilStore", "VigilDetection", "VigilNotify", "VigilSQL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // vigil.yaml: typed sections, ${ENV} references, every problem with its line.
        .target(name: "VigilConfig", dependencies: ["VigilCore", .product(name: "Yams", package: "Yams")]),
        // Delivery of the audit log to object storage in Databricks' layout, signed digests and their verifier.
        .target(
            name: "VigilExport",
            dependencies: [
                "VigilCore", "VigilLedger", "VigilStore", "VigilLogs",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "VigilAPI",
            dependencies: [
                "VigilCore", "VigilLedger", "VigilStore", "VigilSQL", "VigilAccess", "VigilLogs", "VigilMonitoring", "VigilAlerts", "VigilDetection", "VigilNotify",
                "VigilExport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "VigilServer",
            dependencies: [
                "VigilCore", "VigilStore", "VigilAPI", "VigilAccess", "VigilLogs", "VigilMonitoring", "VigilAlerts", "VigilNotify",
                "VigilExport", "VigilConfig",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "VigilTesting",
            dependencies: [
                "VigilServer", "VigilAgent",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilServer", "VigilAPI", "VigilStore", "VigilLedger", "VigilAgent", "VigilLogs", "VigilMonitoring", "VigilDetection", "VigilNotify",
                "VigilExport", "VigilConfig", "vigil-agent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            plugins: ["BuildInfoPlugin"]
        ),
        .executableTarget(
            name: "vigil-agent",
            dependencies: ["VigilAgent", "VigilCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // The Swift runtime linked in, not loaded as shared libraries: only the parts used are mapped, which keeps
            // the agent under its 20 MB (about 4.5 MB less resident than with the shared runtime).
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims"], .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "VigilBenchmarks",
            dependencies: [
                "VigilServer", "VigilTesting", "VigilAccess", "VigilSQL", "VigilAgent", "VigilNotify", "VigilExport",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "VigilFuzz",
            dependencies: [
                "VigilServer", "VigilTesting", "VigilSQL", "VigilStore", "VigilCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"]),
        .testTarget(name: "VigilLedgerTests", dependencies: ["VigilLedger"]),
        .testTarget(name: "VigilSQLTests", dependencies: ["VigilSQL", "VigilCore"]),
        .testTarget(name: "VigilDetectionTests", dependencies: ["VigilDetection", "VigilCore"]),
        .testTarget(name: "VigilAlertsTests", dependencies: ["VigilAlerts", "VigilCore", "VigilSQL", "VigilNotify", "VigilStore", "VigilTesting", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "VigilNotifyTests", dependencies: [
            "VigilNotify", "VigilCore", "VigilStore", "VigilTesting", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "VigilConfigTests", dependencies: ["VigilConfig"]),
        .testTarget(name: "VigilExportTests", dependencies: [
            "VigilExport", "VigilCore", "VigilLedger", "VigilStore", "VigilTesting", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "VigilLogsTests", dependencies: ["VigilLogs", "VigilCore", "VigilTesting"]),
        .testTarget(name: "VigilAgentTests", dependencies: ["VigilAgent", "VigilCore", "VigilTesting"]),
        .testTarget(name: "VigilMonitoringTests", dependencies: ["VigilMonitoring", "VigilCore", "VigilStore", "VigilTesting"]),
        .testTarget(
            name: "VigilLogHandlerTests",
            dependencies: ["VigilLogHandler", "VigilCore", "VigilLogs", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "VigilAPITests", dependencies: ["VigilAPI", "VigilAlerts", "VigilStore", "VigilSQL"]),
        .testTarget(name: "VigilAccessTests", dependencies: ["VigilAccess", "VigilStore", "VigilTesting"]),
        .testTarget(
            name: "VigilStoreTests",
            dependencies: [
                "VigilStore", "VigilTesting", "VigilLedger", "VigilSQL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "VigilTesting", "vigil", "VigilLedger", "VigilStore", "VigilAccess", "VigilNotify", "VigilExport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

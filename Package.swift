// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gatehouse", targets: ["gatehouse"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Shared vocabulary: configuration, identifiers, secrets at rest, wire-independent errors.
        .target(
            name: "GatehouseCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Repository protocols and their one SQL implementation (SQLite and PostgreSQL).
        .target(
            name: "GatehouseStorage",
            dependencies: [
                "GatehouseCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // E-mail on the wire: MIME messages (RFC 5322, 2045-2047) and an SMTP client (RFC 5321,
        // 3207, 4954) over SwiftNIO; no Swift SMTP library is available (docs/ARCHITECTURE.md).
        .target(
            name: "GatehouseMail",
            dependencies: [
                "GatehouseCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Identity domain: users, clients, APIs, sessions, grants, token minting.
        .target(
            name: "GatehouseIdentity",
            dependencies: [
                "GatehouseCore",
                "GatehouseStorage",
                "GatehouseActions",
                "GatehouseMail",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            ],
            swiftSettings: swiftSettings
        ),
        // QR codes for the TOTP enrolment page: Debian's `libqrcodegen-dev` (Nayuki's encoder).
        .systemLibrary(name: "CQRCodeGen", pkgConfig: "qrcodegen", providers: [.apt(["libqrcodegen-dev"])]),
        // The few C calls Swift cannot make itself (prctl is variadic).
        .target(name: "CGatehouseSystem"),
        // The Actions sandbox: trigger catalog, Node.js worker pool, flow messages. The runner
        // (plain JavaScript), the catalog and the rules/hooks converter (plain JavaScript) ship as resources.
        .target(
            name: "GatehouseSandbox",
            dependencies: [
                "GatehouseCore",
                "CGatehouseSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Runner/README.md", "Runner/PROTOCOL.md", "Converter/README.md"],
            resources: [.copy("Runner"), .copy("CatalogData"), .copy("Converter")],
            swiftSettings: swiftSettings
        ),
        // Actions management: drafts, builds, versions, deploys, bindings.
        .target(
            name: "GatehouseActions",
            dependencies: ["GatehouseCore", "GatehouseStorage", "GatehouseSandbox", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // HTTP layer: OIDC endpoints, hosted pages, Management API.
        .target(
            name: "GatehouseHTTP",
            dependencies: [
                "GatehouseCore",
                "GatehouseStorage",
                "GatehouseIdentity",
                "GatehouseSandbox",
                "GatehouseActions",
                "CQRCodeGen",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Templates"), .copy("Dashboard/Assets")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "gatehouse",
            dependencies: [
                "GatehouseHTTP",
                "GatehouseSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // `scripts/bench-sandbox`: the sandbox measured through the server's own pool.
        .executableTarget(
            name: "gatehouse-bench-sandbox",
            dependencies: ["GatehouseSandbox"],
            path: "Benchmarks/SandboxBench",
            swiftSettings: swiftSettings
        ),
        // `scripts/bench-rules`: three rules + three actions against three actions alone.
        .executableTarget(
            name: "gatehouse-bench-rules",
            dependencies: ["GatehouseSandbox"],
            path: "Benchmarks/RulesBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseTests",
            dependencies: [
                "GatehouseHTTP",
                "GatehouseSandbox",
                "GatehouseMail",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

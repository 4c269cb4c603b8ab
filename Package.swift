// swift-tools-version: 6.0
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "YOLOFuse",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "yolofuse", targets: ["yolofuse"]),
        .library(name: "YOLOFuseEngine", targets: ["YOLOFuseEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // oneDNN 2.6 from Debian's libdnnl-dev (no pkg-config file, hence a plain module map).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        // Our own C kernels where Swift cannot reach the vector width (AVX-512 chosen at run time).
        .target(name: "CKernels"),
        .target(name: "YOLOFuseTensor", swiftSettings: upcoming),
        .target(
            name: "YOLOFuseONNX",
            dependencies: ["YOLOFuseTensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: upcoming
        ),
        .target(
            name: "YOLOFuseEngine",
            dependencies: ["YOLOFuseTensor", "YOLOFuseONNX", "CDNNL", "CKernels"],
            swiftSettings: upcoming
        ),
        // libjpeg-turbo and libpng from Debian (libturbojpeg0-dev, libpng-dev).
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        .target(name: "YOLOFuseVision", dependencies: ["CTurboJPEG", "CPNG"], swiftSettings: upcoming),
        // FFmpeg 5.1 from Debian (libavformat-dev, libavcodec-dev, libswscale-dev, libavutil-dev).
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg"),
        .target(name: "YOLOFuseVideo", dependencies: ["CFFmpeg", "YOLOFuseVision"], swiftSettings: upcoming),
        .target(
            name: "YOLOFuseDetect",
            dependencies: ["YOLOFuseEngine", "YOLOFuseVision", "YOLOFuseTensor", "YOLOFuseONNX"],
            swiftSettings: upcoming
        ),
        // SQLite from Debian (libsqlite3-dev).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // Tenants, keys, model versions and usage: SQLite embedded, PostgreSQL for replicas.
        .target(
            name: "YOLOFuseStore",
            dependencies: [
                "CSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // The HTTP API: openapi.yaml is the contract; types and server stubs are generated at build time.
        .target(
            name: "YOLOFuseAPI",
            dependencies: [
                "YOLOFuseDetect", "YOLOFuseVision", "YOLOFuseEngine", "YOLOFuseStore", "YOLOFuseVideo",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: upcoming,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .executableTarget(
            name: "yolofuse",
            dependencies: [
                "YOLOFuseEngine", "YOLOFuseTensor", "YOLOFuseONNX", "YOLOFuseVision", "YOLOFuseDetect", "YOLOFuseVideo", "YOLOFuseAPI", "YOLOFuseStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "YOLOFuseEngineTests",
            dependencies: ["YOLOFuseEngine", "YOLOFuseTensor", "YOLOFuseONNX"]
        ),
        .testTarget(
            name: "YOLOFuseAPITests",
            dependencies: [
                "YOLOFuseAPI", "YOLOFuseDetect", "YOLOFuseEngine", "YOLOFuseStore", "YOLOFuseVision", "YOLOFuseVideo",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "YOLOFuseStoreTests",
            dependencies: ["YOLOFuseStore", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "YOLOFuseDetectTests",
            dependencies: ["YOLOFuseDetect", "YOLOFuseVision", "YOLOFuseVideo", "YOLOFuseEngine", "YOLOFuseTensor"]
        ),
    ]
)

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
    ],
    targets: [
        // oneDNN 2.6 from Debian's libdnnl-dev (no pkg-config file, hence a plain module map).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .target(name: "YOLOFuseTensor", swiftSettings: upcoming),
        .target(
            name: "YOLOFuseONNX",
            dependencies: ["YOLOFuseTensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: upcoming
        ),
        .target(
            name: "YOLOFuseEngine",
            dependencies: ["YOLOFuseTensor", "YOLOFuseONNX", "CDNNL"],
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
        .executableTarget(
            name: "yolofuse",
            dependencies: [
                "YOLOFuseEngine", "YOLOFuseTensor", "YOLOFuseONNX", "YOLOFuseVision", "YOLOFuseDetect", "YOLOFuseVideo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "YOLOFuseEngineTests",
            dependencies: ["YOLOFuseEngine", "YOLOFuseTensor", "YOLOFuseONNX"]
        ),
        .testTarget(
            name: "YOLOFuseDetectTests",
            dependencies: ["YOLOFuseDetect", "YOLOFuseVision", "YOLOFuseVideo", "YOLOFuseEngine", "YOLOFuseTensor"]
        ),
    ]
)

import Foundation
import YOLOFuseEngine
import YOLOFuseVision

enum Support {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func fixture(_ path: String) -> URL { repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(path) }
    static let engine = Engine(configuration: .init(backend: .onednn, threads: 2))

    /// Runs a Python tool from tools/ and returns its standard output.
    static func python(_ script: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot.appendingPathComponent("tools").appendingPathComponent(script).path] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolFailure(description: "\(script): " + String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        return data
    }

    struct ToolFailure: Error, CustomStringConvertible { let description: String }

    /// A deterministic test picture: gradients and blocks, so resizing and flips are visible in the pixels.
    static func pattern(width: Int, height: Int, format: Image.Format, blocks: Bool = true) -> Image {
        var pixels = [UInt8](repeating: 0, count: width * height * format.rawValue)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<format.rawValue {
                    let block = blocks && ((x / 7) + (y / 5)) % 2 == 0 ? 60 : 0
                    pixels[(y * width + x) * format.rawValue + c] = UInt8((x * 255 / max(width - 1, 1) + y * 3 + c * 40 + block) % 256)
                }
            }
        }
        return Image(width: width, height: height, format: format, pixels: pixels)
    }
}

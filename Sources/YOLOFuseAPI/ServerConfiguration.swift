public import Foundation
public import YOLOFuseDetect
public import YOLOFuseEngine

/// What `yolofuse serve` runs with; every field has a default that works on a laptop.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The default model every request without its own uses.
    public var modelURL: URL
    /// Largest accepted image part, in bytes (413 above it).
    public var maxImageBytes: Int
    /// Largest accepted image, in pixels, checked from the header before decoding (422 above it).
    public var maxImagePixels: Int
    public var engine: Engine.Configuration
    /// Dynamic batching of concurrent requests (max batch size, max queue delay, queue length).
    public var batching: BatcherStateMachine<Int>.Configuration

    public init(host: String = "127.0.0.1", port: Int = 8000, modelURL: URL, maxImageBytes: Int = 32 << 20,
                maxImagePixels: Int = 64_000_000, engine: Engine.Configuration = Engine.Configuration(),
                batching: BatcherStateMachine<Int>.Configuration = .init()) {
        self.host = host
        self.port = port
        self.modelURL = modelURL
        self.maxImageBytes = maxImageBytes
        self.maxImagePixels = maxImagePixels
        self.engine = engine
        self.batching = batching
    }
}

public import Foundation
public import YOLOFuseDetect
public import YOLOFuseEngine
public import YOLOFuseStore

/// What `yolofuse serve` runs with; every field but the admin key has a default that works on a laptop.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The default model: tenants without an active version of their own use it.
    public var modelURL: URL
    /// Square input size for the default model when it is dynamic (nil: the size in its manifest).
    public var modelImageSize: Int?
    /// The admin key for /v1/admin.
    public var adminKey: String
    /// Tenants, keys, model versions and usage.
    public var store: StoreLocation
    /// Uploaded model files (a shared volume when API and workers are replicas).
    public var blobDirectory: URL
    /// Largest accepted image part, in bytes (413 above it).
    public var maxImageBytes: Int
    /// Largest accepted image, in pixels, checked from the header before decoding (422 above it).
    public var maxImagePixels: Int
    /// Largest accepted model upload, in bytes (413 above it).
    public var maxModelBytes: Int
    /// Estimated memory that tenants' resident models may use before the least recently used is unloaded;
    /// the default model is always resident.
    public var modelMemoryBudgetBytes: Int
    /// The longest a detection may take, queueing included; past it the caller gets 503 and its queued work is
    /// dropped.
    public var requestTimeout: Duration
    /// How long a key lookup is trusted; a revoked key stops working on every instance within this time.
    public var keyCacheTTL: Duration
    public var engine: Engine.Configuration
    /// Dynamic batching of concurrent requests (max batch size, max queue delay, queue length), per model.
    public var batching: BatcherStateMachine<Int>.Configuration
    /// What this instance does: the HTTP API, background jobs, or both.
    public var role: ServerRole
    /// The job queue and its workers.
    public var jobs: JobSettings

    public init(host: String = "127.0.0.1", port: Int = 8000, modelURL: URL, adminKey: String,
                store: StoreLocation = .sqlite(path: "data/state.db"), blobDirectory: URL = URL(fileURLWithPath: "data/blobs"),
                maxImageBytes: Int = 32 << 20, maxImagePixels: Int = 64_000_000, maxModelBytes: Int = 256 << 20,
                modelMemoryBudgetBytes: Int = 1 << 30, keyCacheTTL: Duration = .seconds(2),
                engine: Engine.Configuration = Engine.Configuration(), batching: BatcherStateMachine<Int>.Configuration = .init()) {
        self.host = host
        self.port = port
        self.modelURL = modelURL
        modelImageSize = nil
        self.adminKey = adminKey
        self.store = store
        self.blobDirectory = blobDirectory
        self.maxImageBytes = maxImageBytes
        self.maxImagePixels = maxImagePixels
        self.maxModelBytes = maxModelBytes
        self.modelMemoryBudgetBytes = modelMemoryBudgetBytes
        self.keyCacheTTL = keyCacheTTL
        requestTimeout = .seconds(30)
        self.engine = engine
        self.batching = batching
        role = .all
        jobs = JobSettings()
    }
}

/// `yolofuse serve --role`: one binary, scaled out as API replicas and worker replicas over one database.
public enum ServerRole: String, Sendable, CaseIterable {
    /// The HTTP API: synchronous detection and everything else; jobs are queued for workers.
    case api
    /// Runs queued jobs; over HTTP it answers only /healthz, /readyz and /metrics.
    case worker
    /// Both, in one process (the embedded default).
    case all

    public var servesAPI: Bool { self != .worker }
    public var runsJobs: Bool { self != .api }
}

/// The job queue as one instance uses it.
public struct JobSettings: Sendable {
    /// The queue this instance's jobs go to and its worker claims from.
    public var queue = "default"
    /// How long a claimed job stays with its worker without a renewal; a worker renews three times per lease, and
    /// a dead worker's job goes to another after at most this long.
    public var lease: Duration = .seconds(30)
    /// How often an idle worker looks for work.
    public var pollInterval: Duration = .milliseconds(500)
    /// Claims of one job before it fails for good.
    public var maxAttempts = 3
    /// Largest accepted video, per part, in bytes (413 above it).
    public var maxVideoBytes = 2 << 30
    /// Most image pairs in one job.
    public var maxPairs = 10_000
    /// How long a finished job, its inputs and its results are kept; workers then delete them.
    public var retention: Duration = .seconds(7 * 86_400)
    /// How often a worker looks for jobs past their retention.
    public var retentionSweepInterval: Duration = .seconds(600)
    /// Most jobs one tenant may have queued or running; more are refused (429) so no tenant can fill the queue.
    public var maxActivePerTenant = 100

    public init() {}
}

public import Foundation

/// A unit of asynchronous work (a video pair, or a batch of image pairs, to run through a model) in the durable
/// queue. API replicas enqueue; worker replicas claim a job under a lease, renew the lease as they go and finish
/// it. A worker that dies stops renewing, and once its lease expires another worker claims the job again, up to
/// `maxAttempts`.
public struct JobRecord: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case video, pairs }
    public enum State: String, Sendable, Codable { case queued, running, succeeded, failed }

    public var id: UUID
    public var tenantID: UUID
    /// The API key that submitted it (usage is billed to it).
    public var keyID: String
    /// Workers claim from named queues ("default" unless configured).
    public var queue: String
    public var kind: Kind
    public var state: State
    /// What the job runs with, as JSON whose shape the kind decides.
    public var parametersJSON: String
    /// The folder in the blob store that holds the job's inputs and results.
    public var blobPrefix: String
    public var attempts: Int
    public var maxAttempts: Int
    /// Units done so far and the expected total (frame pairs for video; nil while unknown).
    public var progress: Int
    public var total: Int?
    /// Why the last attempt failed (kept when a retry then succeeds, cleared never).
    public var error: String?
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// Not claimed before this time (retries back off).
    public var availableAt: Date
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?

    public init(id: UUID = UUID(), tenantID: UUID, keyID: String, queue: String = "default", kind: Kind = .video,
                state: State = .queued, parametersJSON: String = "{}", blobPrefix: String, attempts: Int = 0, maxAttempts: Int = 3,
                progress: Int = 0, total: Int? = nil, error: String? = nil, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil,
                availableAt: Date? = nil, createdAt: Date = Date(), updatedAt: Date? = nil, finishedAt: Date? = nil) {
        self.id = id
        self.tenantID = tenantID
        self.keyID = keyID
        self.queue = queue
        self.kind = kind
        self.state = state
        self.parametersJSON = parametersJSON
        self.blobPrefix = blobPrefix
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.progress = progress
        self.total = total
        self.error = error
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.availableAt = availableAt ?? createdAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.finishedAt = finishedAt
    }
}

/// How a worker ends its attempt at a job.
public enum JobOutcome: Sendable, Equatable {
    case succeeded
    /// Failed for good (bad input): no retry.
    case failed(String)
    /// Failed for a reason that may pass (the model could not load here): back in the queue from `at`, or failed
    /// for good once its attempts are used up.
    case retry(String, at: Date)
}

/// The reason a job whose worker stopped renewing its lease is given when no attempts are left.
public let jobLeaseLostReason = "its worker stopped before finishing, on every attempt"

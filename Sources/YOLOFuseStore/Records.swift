public import Foundation

/// A customer. Suspended tenants keep their data but every call with their keys is refused (403).
public struct Tenant: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case active, suspended }
    public var id: UUID
    public var name: String
    public var status: Status
    public var createdAt: Date

    public init(id: UUID = UUID(), name: String, status: Status = .active, createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.status = status
        self.createdAt = createdAt
    }
}

/// An API key as stored: its public id and a SHA-256 of the whole key, never the key itself.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var tenantID: UUID
    public var name: String
    public var hash: Data
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String, tenantID: UUID, name: String, hash: Data, createdAt: Date = Date(), revokedAt: Date? = nil) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.hash = hash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// What authentication needs in one lookup: the key and the status of its tenant.
public struct KeyCredential: Sendable, Equatable {
    public var key: APIKeyRecord
    public var tenantStatus: Tenant.Status
}

/// One uploaded version of a tenant's model. Its file lives in the blob store under `blobKey`.
public struct ModelVersionRecord: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case loading, ready, failed }
    public var id: UUID
    public var tenantID: UUID
    public var name: String
    /// 1, 2, 3… per tenant and model name.
    public var version: Int
    public var state: State
    public var failure: String?
    public var blobKey: String
    public var sizeBytes: Int
    public var sha256: String
    /// The manifest JSON sent with the upload, if any.
    public var manifestJSON: String?
    public var active: Bool
    /// When the version was last made active; rollback goes to the most recent before the current one.
    public var activatedAt: Date?
    public var createdAt: Date

    public init(id: UUID = UUID(), tenantID: UUID, name: String, version: Int, state: State = .loading, failure: String? = nil,
                blobKey: String, sizeBytes: Int, sha256: String, manifestJSON: String? = nil, active: Bool = false,
                activatedAt: Date? = nil, createdAt: Date = Date()) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.version = version
        self.state = state
        self.failure = failure
        self.blobKey = blobKey
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.manifestJSON = manifestJSON
        self.active = active
        self.activatedAt = activatedAt
        self.createdAt = createdAt
    }
}

/// One billable call. `requestID` is unique: recording the same request twice counts it once.
public struct UsageEvent: Sendable, Equatable {
    public var requestID: String
    public var tenantID: UUID
    public var keyID: String
    /// "default" or a model version id.
    public var modelVersion: String
    public var images: Int
    public var inferenceMilliseconds: Double
    /// The HTTP status the call ended with.
    public var status: Int
    public var at: Date

    public init(requestID: String, tenantID: UUID, keyID: String, modelVersion: String, images: Int,
                inferenceMilliseconds: Double, status: Int, at: Date = Date()) {
        self.requestID = requestID
        self.tenantID = tenantID
        self.keyID = keyID
        self.modelVersion = modelVersion
        self.images = images
        self.inferenceMilliseconds = inferenceMilliseconds
        self.status = status
        self.at = at
    }
}

/// A tenant's usage over a period, as billing reads it.
public struct UsageSummary: Sendable, Equatable {
    public var calls: Int
    public var successfulCalls: Int
    public var images: Int
    public var inferenceMilliseconds: Double

    public init(calls: Int, successfulCalls: Int, images: Int, inferenceMilliseconds: Double) {
        self.calls = calls
        self.successfulCalls = successfulCalls
        self.images = images
        self.inferenceMilliseconds = inferenceMilliseconds
    }
}

import Foundation
import Synchronization
import YOLOFuseStore

/// Checks presented keys. Tenant keys are looked up by their public id and compared by hash; a successful lookup
/// is cached for `cacheTTL`, so a revocation or suspension reaches every instance within that time.
final class Authenticator: Sendable {
    private struct Cached {
        let credential: KeyCredential
        let fetched: ContinuousClock.Instant
    }

    private let store: any StateStore
    private let adminKeyHash: Data
    private let cacheTTL: Duration
    private let cache = Mutex<[String: Cached]>([:])

    init(store: any StateStore, adminKey: String, cacheTTL: Duration) {
        self.store = store
        adminKeyHash = APIKey.hash(adminKey)
        self.cacheTTL = cacheTTL
    }

    func admin(_ presented: String?) throws -> Principal {
        guard let presented else { throw APIError(.unauthorized, "send the admin key as 'Authorization: Bearer KEY'") }
        guard APIKey.matches(presented, hash: adminKeyHash) else { throw APIError(.unauthorized, "the admin key is not valid") }
        return .admin
    }

    func tenant(_ presented: String?) async throws -> Principal {
        guard let presented else { throw APIError(.unauthorized, "send an API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'") }
        guard let keyID = APIKey.id(of: presented) else { throw APIError(.unauthorized, "the API key is not valid") }
        let now = ContinuousClock.now
        var credential = cache.withLock { cache in cache[keyID].flatMap { now - $0.fetched < cacheTTL ? $0.credential : nil } }
        if credential == nil {
            let fetched: KeyCredential?
            do { fetched = try await store.credential(keyID: keyID) } catch {
                throw APIError(.unavailable, "keys cannot be checked right now; retry shortly")
            }
            credential = fetched
            if let fetched { cache.withLock { $0[keyID] = Cached(credential: fetched, fetched: now) } }
        }
        guard let credential, APIKey.matches(presented, hash: credential.key.hash) else { throw APIError(.unauthorized, "the API key is not valid") }
        guard credential.key.revokedAt == nil else { throw APIError(.unauthorized, "the API key has been revoked") }
        guard credential.tenantStatus == .active else { throw APIError(.forbidden, "the tenant is suspended") }
        return .tenant(id: credential.key.tenantID, keyID: keyID)
    }

    /// Forgets cached lookups for a key (this instance sees its own revocations at once).
    func forget(keyID: String) { _ = cache.withLock { $0.removeValue(forKey: keyID) } }
    func forgetAll() { cache.withLock { $0.removeAll() } }
}

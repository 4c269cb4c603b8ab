import Crypto
import Foundation

/// Tenants' API keys: `yf_` + a 12-hex-digit public id + `_` + 43 base64url characters (256 random bits).
/// The id finds the stored record; the whole key is only ever kept as its SHA-256.
enum APIKey {
    struct Generated {
        let key: String
        let id: String
        let hash: Data
    }

    static func generate() -> Generated {
        let id = SymmetricKey(size: .bits128).withUnsafeBytes { bytes in bytes.prefix(6).map { String(format: "%02x", $0) }.joined() }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64URLEncoded
        let key = "yf_\(id)_\(secret)"
        return Generated(key: key, id: id, hash: hash(key))
    }

    /// The public id of a well-formed key, nil for anything else.
    static func id(of key: String) -> String? {
        let parts = key.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "yf", parts[1].count == 12, parts[1].allSatisfy(\.isHexDigit), parts[2].count == 43 else {
            return nil
        }
        return String(parts[1])
    }

    static func hash(_ key: String) -> Data { Data(SHA256.hash(data: Data(key.utf8))) }

    /// Compares in time independent of where the hashes differ.
    static func matches(_ key: String, hash stored: Data) -> Bool {
        let presented = hash(key)
        guard presented.count == stored.count else { return false }
        return zip(presented, stored).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension Data {
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

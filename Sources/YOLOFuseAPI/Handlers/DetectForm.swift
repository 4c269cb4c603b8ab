import Foundation
import HTTPTypes
import OpenAPIRuntime

/// The image pairs of a detection request. Parts `rgb` and `ir` make one pair; parts `rgb.KEY` and `ir.KEY`
/// make one pair per KEY, kept in the order the keys first appear.
struct DetectForm {
    enum Modality { case rgb, ir }

    struct Pair {
        /// "" for the plain `rgb`/`ir` parts.
        var key: String
        var rgb: Data?
        var ir: Data?

        func partName(_ modality: String) -> String { key.isEmpty ? modality : "\(modality).\(key)" }
    }

    static let maxPairs = 32

    private(set) var pairs: [Pair] = []
    var options: Components.Schemas.DetectOptions?

    var isBatch: Bool { pairs.contains { !$0.key.isEmpty } }

    mutating func add(_ modality: Modality, key: String, data: Data) throws {
        if pairs.contains(where: { $0.key.isEmpty != key.isEmpty }) {
            throw APIError(.unprocessable, "send either 'rgb'/'ir' or keyed 'rgb.KEY'/'ir.KEY' parts, not both", field: "form")
        }
        let index: Int
        if let existing = pairs.firstIndex(where: { $0.key == key }) {
            index = existing
        } else {
            guard pairs.count < Self.maxPairs else { throw APIError(.unprocessable, "at most \(Self.maxPairs) pairs per request", field: "form") }
            pairs.append(Pair(key: key))
            index = pairs.count - 1
        }
        let name = pairs[index].partName(modality == .rgb ? "rgb" : "ir")
        switch modality {
        case .rgb:
            guard pairs[index].rgb == nil else { throw APIError(.unprocessable, "the '\(name)' part is sent twice", field: name) }
            pairs[index].rgb = data
        case .ir:
            guard pairs[index].ir == nil else { throw APIError(.unprocessable, "the '\(name)' part is sent twice", field: name) }
            pairs[index].ir = data
        }
    }

    /// The name in a Content-Disposition header.
    static func partName(_ disposition: String) -> String? {
        // `name=` itself, not the tail of `filename=`.
        guard let range = disposition.range(of: #"(^|;)\s*name="[^"]*""#, options: .regularExpression) else { return nil }
        let match = disposition[range]
        return String(match[match.range(of: "name=\"")!.upperBound...].dropLast())
    }

    /// The modality, key and name of an undocumented part named `rgb.KEY` or `ir.KEY`. Any other part is drained
    /// and refused with a 422 that lists what to send (`expected`).
    static func keyedPart(_ part: MultipartRawPart, expected: String) async throws -> (Modality, key: String, name: String) {
        let name = partName(part.headerFields[.contentDisposition] ?? "")
        guard let name, let (modality, key) = keyedImage(name) else {
            _ = try? await Data(collecting: part.body, upTo: 1 << 20)
            throw APIError(.unprocessable, "unknown part '\(name ?? "")'; send \(expected)", field: "form")
        }
        return (modality, key, name)
    }

    /// `rgb.KEY` or `ir.KEY` with a valid key.
    static func keyedImage(_ name: String?) -> (Modality, String)? {
        guard let name, let dot = name.firstIndex(of: ".") else { return nil }
        let key = String(name[name.index(after: dot)...])
        guard (1...64).contains(key.count), key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return nil
        }
        switch name[..<dot] {
        case "rgb": return (.rgb, key)
        case "ir": return (.ir, key)
        default: return nil
        }
    }
}

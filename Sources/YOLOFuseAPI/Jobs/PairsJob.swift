import Foundation

/// A batch of image pairs as a job: too many pairs for one /v1/detect call (which takes 32), detected in the
/// background. The images sit in the job's blob folder, one file each, and `pairs.json` lists them in order.
enum PairsJob {
    /// One pair of the batch: its key (from the parts `rgb.KEY` and `ir.KEY`) and which images it has.
    struct Entry: Codable, Sendable {
        var key: String
        var rgb: Bool
        var ir: Bool
    }

    static func listKey(_ prefix: String) -> String { prefix + "/pairs.json" }
    static func imageKey(_ prefix: String, index: Int, modality: String) -> String { "\(prefix)/pairs/\(index).\(modality)" }

    /// One line of the result: a `PairJobResult` of the contract (a result, or why this pair could not be read).
    struct Line: Encodable {
        let pair: String
        let result: Components.Schemas.DetectionResult?
        let error: String?
    }
}

public import Foundation
public import YOLOFuseEngine
import YOLOFuseONNX

/// What a detection model expects and produces, read from ONNX metadata_props (Ultralytics writes names,
/// imgsz and stride there; our exports add modality and fusion) or a JSON file beside the model.
public struct ModelManifest: Codable, Sendable, Equatable {
    public enum Modality: String, Codable, Sendable { case rgb, ir, rgbIR = "rgb+ir" }

    /// How the model takes its pixels.
    public enum InputLayout: String, Codable, Sendable {
        /// One input, 3 channels: RGB, or an IR image replicated to 3 channels.
        case single
        /// One input `images` with 6 channels: RGB in 0-2, IR in 3-5.
        case stacked
        /// Two inputs, `rgb` and `ir`, 3 channels each.
        case separate
    }

    public var classNames: [String]
    public var inputWidth: Int
    public var inputHeight: Int
    public var stride: Int
    public var modality: Modality
    public var inputLayout: InputLayout
    /// data, early, mid, decision, or none for single-modality models.
    public var fusion: String
    /// Whether the model accepts other input sizes (dynamic height and width).
    public var dynamicSize: Bool

    public var classCount: Int { classNames.count }

    /// Reads the manifest for a loaded model; `sidecar` (a JSON manifest) wins over metadata_props.
    public static func resolve(for session: Session, sidecar: URL? = nil) throws -> ModelManifest {
        var fields = session.metadata
        if let sidecar, FileManager.default.fileExists(atPath: sidecar.path) {
            let data = try Data(contentsOf: sidecar)
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ManifestError("\(sidecar.lastPathComponent) is not a JSON object")
            }
            for (key, value) in object {
                if let names = value as? [String] {
                    fields[key] = "{" + names.enumerated().map { "\($0.offset): '\($0.element)'" }.joined(separator: ", ") + "}"
                } else if let text = value as? String {
                    fields[key] = text
                } else if value is [Any] || value is [String: Any], let encoded = try? JSONSerialization.data(withJSONObject: value) {
                    fields[key] = String(decoding: encoded, as: UTF8.self)
                } else {
                    fields[key] = "\(value)"
                }
            }
        }
        return try ModelManifest(fields: fields, inputs: session.inputs, outputs: session.outputs)
    }

    init(fields: [String: String], inputs: [ValueInfo], outputs: [ValueInfo]) throws {
        // Layout and channels come from the graph itself; the manifest may only agree with them.
        let channels = inputs.first?.dims.flatMap { $0.count == 4 ? $0[1] : nil }
        switch (inputs.count, channels) {
        case (2, _):
            guard Set(inputs.map(\.name)) == ["rgb", "ir"] else {
                throw ManifestError("a two-input model must name its inputs 'rgb' and 'ir', found \(inputs.map(\.name))")
            }
            inputLayout = .separate
        case (1, .fixed(6)?): inputLayout = .stacked
        case (1, .fixed(3)?): inputLayout = .single
        default:
            throw ManifestError("the model's inputs \(inputs.map { "\($0.name)\($0.dims?.description ?? "")" }) are neither [N,3,H,W], [N,6,H,W] nor rgb+ir")
        }
        if let declared = fields["channels"].flatMap({ Int($0) }) {
            // Channels of the whole pair: 6 for fusion models in either layout, 3 for single-modality ones.
            let actual = inputLayout == .single ? 3 : 6
            guard declared == actual else { throw ManifestError("the manifest says \(declared) channels, the model takes \(actual)") }
        }
        let parsedModality = fields["modality"].map { $0.lowercased() }
        switch (inputLayout, parsedModality) {
        case (.single, "ir"?): modality = .ir
        case (.single, nil), (.single, "rgb"?): modality = .rgb
        case (.stacked, nil), (.separate, nil), (.stacked, "rgb+ir"?), (.separate, "rgb+ir"?): modality = .rgbIR
        case (_, let other?):
            throw ManifestError("the manifest says modality '\(other)', which a \(inputLayout == .single ? "3" : "6")-channel model cannot be")
        }
        fusion = fields["fusion"] ?? (modality == .rgbIR ? "data" : "none")

        let outputDims = outputs.first?.dims
        let fixedClasses: Int? = outputDims.flatMap { $0.count == 3 ? $0[1] : nil }.flatMap { if case .fixed(let v) = $0 { v - 4 } else { nil } }
        if let text = fields["names"] {
            classNames = try Self.parseNames(text)
        } else if let fixedClasses {
            classNames = (0..<fixedClasses).map { "class\($0)" }
        } else {
            throw ManifestError("the model names no classes (no 'names' metadata and no fixed output size)")
        }
        if let fixedClasses, fixedClasses != classNames.count {
            throw ManifestError("the manifest names \(classNames.count) classes, the model outputs \(fixedClasses)")
        }

        let numbers = (fields["imgsz"] ?? "").split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        let dims = inputs.first?.dims ?? []
        func fixed(_ axis: Int) -> Int? { if dims.count == 4, case .fixed(let v) = dims[axis] { return v }; return nil }
        inputHeight = fixed(2) ?? numbers.first ?? 640
        inputWidth = fixed(3) ?? (numbers.count > 1 ? numbers[1] : numbers.first ?? 640)
        if numbers.count >= 2, let h = fixed(2), let w = fixed(3), (numbers[0], numbers[1]) != (h, w) {
            throw ManifestError("the manifest says imgsz \(numbers[0])x\(numbers[1]), the model's input is fixed at \(h)x\(w)")
        }
        dynamicSize = fixed(2) == nil && fixed(3) == nil
        stride = (fields["stride"] ?? "").split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }.max() ?? 32
    }

    /// Ultralytics writes names as a Python dict literal: {0: 'person', 1: 'car'}; a JSON list works too.
    static func parseNames(_ text: String) throws -> [String] {
        if let data = text.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [String] { return list }
        var names: [Int: String] = [:]
        var scanner = Substring(text)
        while let colon = scanner.firstIndex(of: ":") {
            let keyText = scanner[..<colon].filter(\.isNumber)
            var rest = scanner[scanner.index(after: colon)...].drop(while: { $0 == " " })
            guard let quote = rest.first, quote == "'" || quote == "\"" else { break }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: quote), let key = Int(keyText) else { break }
            names[key] = String(rest[..<close])
            scanner = rest[rest.index(after: close)...]
        }
        guard !names.isEmpty, Set(names.keys) == Set(0..<names.count) else {
            throw ManifestError("cannot read class names from '\(text)'")
        }
        return (0..<names.count).map { names[$0]! }
    }
}

public struct ManifestError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

import ArgumentParser
import Foundation
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseVision

struct ValCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "val",
        abstract: "Precision, recall, mAP50 and mAP50-95 on a labelled dataset (images/, imagesIR/, labels/)."
    )

    @OptionGroup var flags: DetectionFlags
    @Option(help: "The dataset folder.") var data: String
    @Option(help: "Pairs per model run.") var batch: Int = 8
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() async throws {
        let (detector, options, engine) = try await flags.loadDetector(evaluation: true)
        let executor = engine.executor
        let dataset = try PairedDataset(root: URL(fileURLWithPath: data))
        guard !dataset.pairs.isEmpty else { throw ValidationError("\(data)/images has no images") }
        var metric = MeanAveragePrecision()
        var progress = ProgressBar(total: dataset.pairs.count, quiet: json)
        let needsRGB = detector.needsRGB, needsIR = detector.needsIR
        let chunks = stride(from: 0, to: dataset.pairs.count, by: max(1, batch)).map {
            Array(dataset.pairs[$0..<min($0 + max(1, batch), dataset.pairs.count)])
        }
        // The next chunk is read and decoded (on an engine thread) while the current one runs.
        try await InOrderPipeline.run(chunks, inFlight: 2, work: { chunk in
            let (inputs, sizes) = try await executor.run(threads: 1) { () throws -> ([DetectionInput], [(width: Int, height: Int)]) in
                var inputs: [DetectionInput] = [], sizes: [(width: Int, height: Int)] = []
                for pair in chunk {
                    let rgb = try ImageCodec.read(pair.rgb)
                    let ir = needsIR ? try ImageCodec.read(pair.ir ?? { throw ValidationError("\(pair.name): no IR image") }()) : nil
                    inputs.append(DetectionInput(rgb: needsRGB ? rgb : nil, ir: ir))
                    sizes.append((rgb.width, rgb.height))
                }
                return (inputs, sizes)
            }
            let results = try await detector.detect(inputs, options: options)
            return zip(results, sizes).map { EvaluatedPair(detections: $0.detections, width: $1.width, height: $1.height) }
        }, consume: { chunk, evaluated in
            for (pair, result) in zip(chunk, evaluated) {
                let truth = try pair.labels.map { try PairedDataset.readLabels($0, width: result.width, height: result.height) } ?? []
                metric.add(truth: truth, predictions: result.detections)
            }
            progress.advance(by: chunk.count)
        })
        progress.finish()
        let summary = metric.summary()
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            return
        }
        let names = detector.classNames
        print(String(format: "%-12@ %7@ %9@ %7@ %7@ %7@ %9@", "class", "images", "instances", "P", "R", "mAP50", "mAP50-95"))
        print(String(format: "%-12@ %7d %9d %7.3f %7.3f %7.3f %9.3f", "all", summary.images, summary.instances,
                     summary.precision, summary.recall, summary.map50, summary.map50to95))
        for c in summary.classes {
            let name = c.classId < names.count ? names[c.classId] : "class\(c.classId)"
            print(String(format: "%-12@ %7d %9d %7.3f %7.3f %7.3f %9.3f", name, summary.images, c.instances, c.precision, c.recall, c.map50, c.map50to95))
        }
    }
}

/// A pair's detections with the size of its RGB image, which its label file is relative to.
private struct EvaluatedPair: Sendable {
    var detections: [Detection]
    var width: Int
    var height: Int
}

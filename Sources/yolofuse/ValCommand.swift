import ArgumentParser
import Foundation
import YOLOFuseDetect
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
        let (detector, options, _) = try await flags.loadDetector(evaluation: true)
        let dataset = try PairedDataset(root: URL(fileURLWithPath: data))
        guard !dataset.pairs.isEmpty else { throw ValidationError("\(data)/images has no images") }
        var metric = MeanAveragePrecision()
        var progress = ProgressBar(total: dataset.pairs.count, quiet: json)
        for start in stride(from: 0, to: dataset.pairs.count, by: max(1, batch)) {
            let chunk = dataset.pairs[start..<min(start + max(1, batch), dataset.pairs.count)]
            var inputs: [DetectionInput] = []
            var sizes: [(Int, Int)] = []
            for pair in chunk {
                let rgb = try ImageCodec.read(pair.rgb)
                let ir = detector.needsIR ? try ImageCodec.read(pair.ir ?? { throw ValidationError("\(pair.name): no IR image") }()) : nil
                inputs.append(DetectionInput(rgb: detector.needsRGB ? rgb : nil, ir: ir))
                sizes.append((rgb.width, rgb.height))
            }
            let results = try await detector.detect(inputs, options: options)
            for (index, pair) in chunk.enumerated() {
                let truth = try pair.labels.map { try PairedDataset.readLabels($0, width: sizes[index].0, height: sizes[index].1) } ?? []
                metric.add(truth: truth, predictions: results[index].detections)
            }
            progress.advance(by: chunk.count)
        }
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

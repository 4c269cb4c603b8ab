public import Foundation
public import YOLOFuseONNX
public import YOLOFuseTensor

/// A loaded model. Immutable and shared: concurrent callers run it at once; each input shape gets a compiled
/// plan (primitives, packed weights, memory plan), built once and reused.
public final class Session: Sendable {
    public let inputs: [ValueInfo]
    public let outputs: [ValueInfo]
    /// ONNX metadata_props (class names, image size, stride, modality, ...).
    public let metadata: [String: String]
    public let opset: Int
    public let backendKind: BackendKind

    let graph: Graph
    let operators: [any Operator]
    let backend: any Backend
    let executor: ComputeExecutor
    /// Whether batches run as one image per core (see `Engine.Configuration.splitBatches`).
    let splitBatches: Bool
    /// Whether a batch can run as parts: every input and output carries the batch on axis 0.
    let batchesDivide: Bool
    private let plans: PlanCache

    init(model: Model, backend: BackendKind, executor: ComputeExecutor, maxPlans: Int, splitBatches: Bool) throws {
        let opset = model.defaultOpset
        guard OperatorRegistry.supportedOpsets.contains(opset) else {
            throw ModelLoadError("opset \(opset) is unsupported (supported: \(OperatorRegistry.supportedOpsets.lowerBound)-\(OperatorRegistry.supportedOpsets.upperBound))")
        }
        // Every node is checked now, so an unsupported op or attribute fails the load, not a request.
        operators = try model.graph.nodes.map { try OperatorRegistry.make($0, opset: opset) }
        graph = model.graph
        inputs = model.graph.inputs
        outputs = model.graph.outputs
        metadata = model.metadata
        self.opset = opset
        backendKind = backend
        self.backend = switch backend {
        case .onednn: DNNLBackend()
        case .reference: ReferenceBackend()
        }
        self.executor = executor
        // Splitting needs every input batched on axis 0 and every output to carry the batch first.
        let batchedInputs = model.graph.inputs.allSatisfy { ($0.dims?.count ?? 0) >= 1 }
        let batchedOutputs = model.graph.outputs.allSatisfy { output in
            guard let first = output.dims?.first else { return false }
            if case .fixed(let size) = first { return size == 1 }
            return true
        }
        batchesDivide = batchedInputs && batchedOutputs
        self.splitBatches = splitBatches && executor.cores > 1 && batchesDivide
        plans = PlanCache(capacity: maxPlans)
    }

    /// The image size the model was exported for (metadata `imgsz`), else its fixed input size, else 640.
    public var nominalImageSize: (height: Int, width: Int) {
        if let text = metadata["imgsz"] {
            let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            if numbers.count >= 2 { return (numbers[0], numbers[1]) }
            if numbers.count == 1 { return (numbers[0], numbers[0]) }
        }
        if let dims = inputs.first?.dims, dims.count == 4, case .fixed(let h) = dims[2], case .fixed(let w) = dims[3] { return (h, w) }
        return (640, 640)
    }

    /// Input shapes for a batch at the given size; fixed dimensions of the model win.
    public func inputShapes(batch: Int, height: Int? = nil, width: Int? = nil) -> [String: Shape] {
        let nominal = nominalImageSize
        var shapes: [String: Shape] = [:]
        for input in inputs {
            let declared = input.dims ?? []
            let wanted = [batch, 3, height ?? nominal.height, width ?? nominal.width]
            shapes[input.name] = Shape(declared.enumerated().map { axis, dim in
                if case .fixed(let value) = dim { return value }
                return axis < wanted.count ? wanted[axis] : 1
            })
        }
        return shapes
    }

    /// Runs the model on engine threads; the calling task is suspended, never blocked.
    /// - Parameter threads: cores for a run that is not split per image (all by default). One lets a caller keep
    ///   several single-image runs in flight, one per core, with its own decoding between them.
    public func run(_ feeds: [String: Tensor], threads: Int? = nil) async throws -> [String: Tensor] {
        let shapes = try validate(feeds)
        let batch = shapes.values.first?.dims.first ?? 1
        if splitBatches && batch > 1 && shapes.values.allSatisfy({ $0.dims.first == batch }) && Self.worthSplitting(shapes) {
            return try await runImageByImage(feeds, shapes: shapes, batch: batch)
        }
        let chunks = Self.chunks(batch)
        if batchesDivide && chunks.count > 1 && shapes.values.allSatisfy({ $0.dims.first == batch }) {
            return try await runInChunks(feeds, batch: batch, chunks: chunks)
        }
        return try await executor.run(threads: threads) { [self] in try plan(for: shapes).run(feeds) }
    }

    /// Runs the model on the calling thread, which must be running a job of the engine's executor (the run uses
    /// the cores that job holds): for callers that do several steps in one job, with no hand-offs between them.
    public func runInCurrentJob(_ feeds: [String: Tensor]) throws -> [String: Tensor] {
        try plan(for: try validate(feeds)).run(feeds)
    }

    /// Whether inputs of this size run fastest one image per core (what a split batch does), rather than each
    /// image over all cores.
    public func runsImagePerCore(height: Int, width: Int) -> Bool {
        splitBatches && Self.worthSplitting(["image": Shape([1, 3, height, width])])
    }

    /// A batch as runs of power-of-two sizes, largest first (7 = 4 + 2 + 1): a model serving every batch size
    /// from 1 to 32 keeps at most six plans (primitives, packed weights) instead of 32.
    static func chunks(_ batch: Int) -> [Int] {
        var left = batch, sizes: [Int] = []
        while left > 0 {
            let size = 1 << (Int.bitWidth - 1 - left.leadingZeroBitCount)
            sizes.append(size)
            left -= size
        }
        return sizes
    }

    /// Runs each chunk as a whole-batch run over all cores, on views into the caller's batch, and stacks the outputs.
    private func runInChunks(_ feeds: [String: Tensor], batch: Int, chunks: [Int]) async throws -> [String: Tensor] {
        var parts: [(size: Int, outputs: [String: Tensor])] = []
        var start = 0
        for size in chunks {
            let first = start
            let outputs = try await executor.run { [self] in
                let views = Self.views(feeds, batch: batch, from: first, count: size)
                return try plan(for: views.mapValues(\.shape)).run(views)
            }
            parts.append((size, outputs))
            start += size
        }
        return try Self.stack(parts.map(\.outputs), batch: batch)
    }

    /// Images `from..<from + count` of every batched input, as views (no copy); the caller keeps `feeds` alive.
    private static func views(_ feeds: [String: Tensor], batch: Int, from: Int, count: Int) -> [String: Tensor] {
        feeds.mapValues { tensor in
            let bytes = tensor.byteCount / batch
            return Tensor(dataType: tensor.dataType, shape: Shape([count] + tensor.shape.dims.dropFirst()),
                          storage: TensorStorage(borrowing: tensor.storage.pointer + from * bytes, byteCount: count * bytes))
        }
    }

    /// Image-per-core runs win on large inputs (measured with mid fusion at batch 8: 16.6 against 19.7 ms per
    /// image at 640) and lose on small ones (5.5 against 3.7 ms at 320), where a whole-batch run keeps both cores
    /// busy inside every layer. The switch is at half a megapixel per image.
    static func worthSplitting(_ shapes: [String: Shape]) -> Bool {
        shapes.values.contains { $0.rank == 4 && $0.dims[2] * $0.dims[3] >= 512 * 512 }
    }

    /// One single-core job per image, as many at once as there are cores; outputs stacked back on axis 0.
    private func runImageByImage(_ feeds: [String: Tensor], shapes: [String: Shape], batch: Int) async throws -> [String: Tensor] {
        let single = shapes.mapValues { Shape([1] + $0.dims.dropFirst()) }
        let perImage = try await withThrowingTaskGroup(of: (Int, [String: Tensor]).self) { group in
            for index in 0..<batch {
                group.addTask { [self] in
                    let result = try await executor.run(threads: 1) { [self] in
                        // Views into the caller's batch: `feeds` is kept alive by this closure.
                        try plan(for: single).run(Self.views(feeds, batch: batch, from: index, count: 1))
                    }
                    return (index, result)
                }
            }
            var results = [[String: Tensor]](repeating: [:], count: batch)
            for try await (index, result) in group { results[index] = result }
            return results
        }
        return try Self.stack(perImage, batch: batch)
    }

    /// Outputs of consecutive parts of a batch, concatenated on axis 0.
    private static func stack(_ parts: [[String: Tensor]], batch: Int) throws -> [String: Tensor] {
        var stacked: [String: Tensor] = [:]
        for name in parts[0].keys {
            let total = parts.reduce(0) { $0 + ($1[name]!.shape.dims.first ?? 0) }
            let first = parts[0][name]!
            guard total == batch else {
                throw InferenceError("output '\(name)' does not carry the batch first (\(first.shape)); load with splitBatches off")
            }
            // Every byte is copied in below, so no zeroing pass.
            let output = Tensor(uninitialized: first.dataType, shape: Shape([batch] + first.shape.dims.dropFirst()))
            var offset = 0
            for part in parts {
                let tensor = part[name]!
                (output.storage.pointer + offset).copyMemory(from: tensor.storage.pointer, byteCount: tensor.byteCount)
                offset += tensor.byteCount
            }
            stacked[name] = output
        }
        return stacked
    }

    /// Compiles and warms up plans for these input shapes now (at load), so no request pays for it.
    public func prepare(_ shapeSets: [[String: Shape]]) async throws {
        var planned = Set<[Shape]>()
        // Split batches run the one-image plan; others run as power-of-two chunks.
        let expanded = shapeSets.flatMap { shapes -> [[String: Shape]] in
            let batch = shapes.values.first?.dims.first ?? 1
            guard batchesDivide, shapes.values.allSatisfy({ $0.rank >= 1 && $0.dims.first == batch }) else { return [shapes] }
            let sizes = splitBatches && Self.worthSplitting(shapes) ? [1] : Self.chunks(batch)
            return sizes.map { size in shapes.mapValues { Shape([size] + $0.dims.dropFirst()) } }
        }
        for effective in expanded {
            guard planned.insert(inputs.map { effective[$0.name]! }).inserted else { continue }
            try await executor.run { [self] in
                let plan = try plan(for: effective)
                let zeros = effective.mapValues { Tensor(zeros: .float32, shape: $0) }
                _ = try plan.run(zeros)
            }
        }
    }

    /// The kernel behind every step of the plan for these input shapes, in run order (for example
    /// "convolution jit_fp32_wino_2x3:avx512_core"): which implementations oneDNN picked on this CPU.
    public func kernelNames(for shapes: [String: Shape]) async throws -> [String] {
        try await executor.run { [self] in try plan(for: shapes).kernelNames }
    }

    func plan(for shapes: [String: Shape]) throws -> any CompiledGraph {
        let key = inputs.map { shapes[$0.name]! }
        if let cached = plans.get(key) { return cached }
        let specialized = try SpecializedGraph(graph: graph, operators: operators, inputShapes: shapes)
        let compiled = try backend.compile(specialized)
        plans.put(key, compiled)
        return compiled
    }

    /// Checks names, element types, ranks and fixed dimensions; returns the shapes to plan for.
    func validate(_ feeds: [String: Tensor]) throws -> [String: Shape] {
        let known = Set(inputs.map(\.name))
        for name in feeds.keys where !known.contains(name) {
            throw InferenceError("unknown input '\(name)'; the model's inputs are \(inputs.map(\.name).joined(separator: ", "))")
        }
        var shapes: [String: Shape] = [:]
        for input in inputs {
            guard let tensor = feeds[input.name] else { throw InferenceError("missing input '\(input.name)'") }
            if let type = input.dataType, type != tensor.dataType {
                throw InferenceError("input '\(input.name)' must be \(type), got \(tensor.dataType)")
            }
            if let dims = input.dims {
                guard dims.count == tensor.shape.rank else {
                    throw InferenceError("input '\(input.name)' must have rank \(dims.count) \(dims), got shape \(tensor.shape)")
                }
                for (axis, dim) in dims.enumerated() {
                    if case .fixed(let value) = dim, value != tensor.shape.dims[axis] {
                        throw InferenceError("input '\(input.name)' axis \(axis) must be \(value), got \(tensor.shape.dims[axis]) (shape \(tensor.shape), expected \(dims))")
                    }
                }
            }
            guard tensor.shape.dims.allSatisfy({ $0 > 0 }) else { throw InferenceError("input '\(input.name)' has an empty dimension: \(tensor.shape)") }
            shapes[input.name] = tensor.shape
        }
        return shapes
    }
}

/// Compiled plans by input shapes, least recently used evicted first.
/// `@unchecked Sendable`: every access holds `lock`.
final class PlanCache: @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    private var entries: [(key: [Shape], plan: any CompiledGraph)] = []

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func get(_ key: [Shape]) -> (any CompiledGraph)? {
        lock.lock()
        defer { lock.unlock() }
        guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
        let entry = entries.remove(at: index)
        entries.append(entry)
        return entry.plan
    }

    func put(_ key: [Shape], _ plan: any CompiledGraph) {
        lock.lock()
        defer { lock.unlock() }
        entries.removeAll { $0.key == key }
        entries.append((key, plan))
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }
}

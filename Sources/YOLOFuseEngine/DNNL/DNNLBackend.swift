internal import CDNNL
internal import YOLOFuseONNX
import YOLOFuseTensor

/// The fast backend: oneDNN primitives for convolutions, pooling, resampling, element-wise ops, concat,
/// split/slice/transpose (as reorders), softmax and matmul; reference kernels for the rest.
struct DNNLBackend: Backend {
    func compile(_ graph: SpecializedGraph) throws -> any CompiledGraph {
        var compiler = DNNLCompiler(graph: graph)
        return try compiler.compile()
    }
}

/// A step before memory planning: values are named, locations come later.
enum DraftStep {
    case primitive(DNNLPrimitive, [(argument: Int32, descriptor: dnnl_memory_desc_t, value: String)])
    case reference(PlannedNode, inputs: [String?], outputs: [String])
    case concat(ConcatCopy, inputs: [String], output: String)
    case dfl(DFLExpectation, input: String, output: String)
    case winogradEpilogue(WinogradEpilogue, input: String, residual: String?, output: String)
    case planarConv(PlanarConvolution, inputs: [PlanarSegment], residual: PlanarSegment?, output: String)

    var reads: [String] {
        switch self {
        case .concat(_, let inputs, _): inputs
        case .dfl(_, let input, _): [input]
        case .winogradEpilogue(_, let input, let residual, _): [input] + (residual.map { [$0] } ?? [])
        case .planarConv(_, let inputs, let residual, _): inputs.map(\.value) + (residual.map { [$0.value] } ?? [])
        case .primitive(_, let args): args.filter { $0.argument != DNNLArgument.dst }.map(\.value)
        case .reference(_, let inputs, _): inputs.compactMap { $0 }
        }
    }

    var writes: [String] {
        switch self {
        case .concat(_, _, let output): [output]
        case .dfl(_, _, let output): [output]
        case .winogradEpilogue(_, _, _, let output): [output]
        case .planarConv(_, _, _, let output): [output]
        case .primitive(_, let args): args.filter { $0.argument == DNNLArgument.dst }.map(\.value)
        case .reference(_, _, let outputs): outputs.filter { !$0.isEmpty }
        }
    }
}

/// DNNL_ARG_* values (the C macros do not import into Swift).
enum DNNLArgument {
    static let src: Int32 = 1
    static let src1: Int32 = 2
    static let dst: Int32 = 17
    static let weights: Int32 = 33
    static let bias: Int32 = 41
    static let multipleSource: Int32 = 1024
    static func postOpSource(_ index: Int) -> Int32 { Int32(16384 * (index + 1)) | src1 }
}

struct DNNLCompiler {
    let graph: SpecializedGraph
    var types: [String: TensorType]
    var layouts: [String: Layout] = [:]
    /// Values that are another value's bytes under a new shape (Reshape and friends on plain layout).
    var aliases: [String: String] = [:]
    var constants: [String: Tensor]
    var steps: [DraftStep] = []
    /// "value|layout" -> the converted copy already made.
    var conversions: [String: String] = [:]
    var skipped: Set<Int> = []
    let readers: [String: Int]
    var producers: [String: Int] = [:]
    var syntheticCount = 0
    var preference: LayoutPreference
    /// Split outputs left inside their NHWC parent (read in place by row copies): byte offset within a pixel's
    /// channels, and the parent's bytes per pixel. Their `aliases` entry names the parent.
    var channelViews: [String: (offset: Int, rowBytes: Int)] = [:]
    /// How to copy such a view out after all, for a concatenation that ends up in another layout.
    var viewSources: [String: (parent: dnnl_memory_desc_t, offsets: [Int], shape: Shape)] = [:]
    /// The convolutions that run planar and the values held planar (`planPlanar`).
    var planarPlan: (convolutions: Set<Int>, planar: Set<String>) = ([], [])
    /// Planar values that exist only as channel ranges of stored ones, until a reader needs them whole.
    var planarViews: [String: [PlanarSegment]] = [:]

    init(graph: SpecializedGraph) {
        preference = LayoutPreference(graph: graph)
        self.graph = graph
        types = graph.types
        constants = graph.constants
        readers = graph.readerCounts()
        for (name, _) in graph.inputs { layouts[name] = .plain }
        for name in graph.constants.keys { layouts[name] = .plain }
        for (index, planned) in graph.nodes.enumerated() { for output in planned.node.outputs { producers[output] = index } }
    }

    // MARK: values

    mutating func newValue(_ type: TensorType, layout: Layout, hint: String) -> String {
        syntheticCount += 1
        let name = "\(hint)#\(syntheticCount)"
        types[name] = type
        layouts[name] = layout
        return name
    }

    func layout(_ name: String) -> Layout { layouts[name] ?? .plain }

    /// `name` in `layout`, adding a reorder step (once per value and layout) when it is stored otherwise.
    mutating func ensure(_ name: String, _ target: Layout) throws -> String {
        materializePlanarView(name)
        let type = types[name]!
        let current = layout(name)
        if current == target || type.shape.rank != 4 || type.dataType != .float32 { return name }
        let key = "\(name)|\(target)"
        if let done = conversions[key] { return done }
        let converted = newValue(type, layout: target, hint: name)
        let source = try memoryDescriptor(type.shape, layout: current)
        let destination = try memoryDescriptor(type.shape, layout: target)
        if let tensor = constants[name] {
            // Constants are converted now, at compile time.
            constants[converted] = try Self.reorderNow(tensor, from: source, to: destination)
        } else {
            try addReorder(from: source, name, to: destination, converted)
        }
        conversions[key] = converted
        return converted
    }

    mutating func addReorder(from source: dnnl_memory_desc_t, _ sourceName: String, to destination: dnnl_memory_desc_t, _ destinationName: String) throws {
        var src = source, dst = destination
        var pd: dnnl_primitive_desc_t?
        let attributes = try DNNLAttributes()
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &src, DNNLEngine.shared, &dst, DNNLEngine.shared, attributes.handle), "reorder of \(sourceName)")
        let primitive = try DNNLPrimitive(descriptor: pd!)
        steps.append(.primitive(primitive, [(DNNLArgument.src, src, sourceName), (DNNLArgument.dst, dst, destinationName)]))
    }

    // MARK: compile

    mutating func compile() throws -> DNNLGraph {
        planarPlan = planPlanar()
        for (index, planned) in graph.nodes.enumerated() where !skipped.contains(index) {
            try lower(planned, index: index)
        }
        var outputNames: [(String, String)] = []
        for name in graph.outputs { outputNames.append((name, try ensure(name, .plain))) }
        return try finish(outputNames)
    }

    mutating func lower(_ planned: PlannedNode, index: Int) throws {
        let node = planned.node
        let out = node.outputs.first ?? ""
        let outType = planned.outputTypes.first
        let isFloat4D = outType.map { $0.dataType == .float32 && $0.shape.rank == 4 } ?? false
        // Integer inputs known at plan time (shapes, split sizes, slice bounds) are parameters, not data.
        let allFloat = zip(planned.inputTypes, planned.constants).allSatisfy { type, constant in
            type == nil || type!.dataType == .float32 || constant != nil
        } && planned.outputTypes.allSatisfy { $0.dataType == .float32 }
        // Planar views reach other lowerings whole: convolutions get them through `ensure`, slices and concatenations
        // read them as ranges or copy them out themselves.
        if !["Conv", "Split", "Slice", "Concat"].contains(node.opType) {
            for name in node.inputs where planarViews[name] != nil { materializePlanarView(name) }
        }
        guard allFloat else { return try lowerReference(planned) }
        switch node.opType {
        case "Conv" where constants[node.inputs[1]] != nil:
            try lowerConv(planned, index: index)
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity":
            aliases[out] = root(try ensure(node.inputs[0], .plain))
            layouts[out] = .plain
        case "Sigmoid":
            if let mul = siluPartner(of: index) {
                skipped.insert(mul)
                try lowerEltwise(x: node.inputs[0], out: graph.nodes[mul].node.outputs[0], alg: dnnl_eltwise_swish, alpha: 1, beta: 0)
            } else {
                try lowerEltwise(x: node.inputs[0], out: out, alg: dnnl_eltwise_logistic, alpha: 0, beta: 0)
            }
        case "Relu": try lowerEltwise(x: node.inputs[0], out: out, alg: dnnl_eltwise_relu, alpha: 0, beta: 0)
        case "LeakyRelu": try lowerEltwise(x: node.inputs[0], out: out, alg: dnnl_eltwise_relu, alpha: (planned.op as! UnaryOp).alpha, beta: 0)
        case "Tanh": try lowerEltwise(x: node.inputs[0], out: out, alg: dnnl_eltwise_tanh, alpha: 0, beta: 0)
        case "Exp": try lowerEltwise(x: node.inputs[0], out: out, alg: dnnl_eltwise_exp, alpha: 0, beta: 0)
        case "Sqrt": try lowerEltwise(x: node.inputs[0], out: out, alg: dnnl_eltwise_sqrt, alpha: 0, beta: 0)
        case "Abs": try lowerEltwise(x: node.inputs[0], out: out, alg: dnnl_eltwise_abs, alpha: 0, beta: 0)
        case "Neg": try lowerEltwise(x: node.inputs[0], out: out, alg: dnnl_eltwise_linear, alpha: -1, beta: 0)
        case "Add", "Sub", "Mul", "Div":
            try lowerBinary(planned)
        case "Max" where node.inputs.count == 2, "Min" where node.inputs.count == 2:  // variadic: other counts run on the reference kernel
            try lowerBinary(planned)
        case "MaxPool" where isFloat4D:
            try lowerMaxPool(planned)
        case "Resize" where isFloat4D:
            try lowerResize(planned)
        case "Concat":
            try lowerConcat(planned)
        case "Split", "Slice":
            try lowerSlices(planned)
        case "Transpose":
            if try !lowerDFLExpectation(planned) { try lowerTranspose(planned) }
        case "Softmax":
            try lowerSoftmax(planned)
        case "MatMul":
            try lowerMatMul(planned)
        default:
            try lowerReference(planned)
        }
    }

    func root(_ name: String) -> String {
        var current = name
        while let next = aliases[current] { current = next }
        return current
    }

    /// For Sigmoid node `index` reading x: the Mul(x, sigmoid(x)) that completes a SiLU, if nothing else reads the sigmoid.
    func siluPartner(of index: Int) -> Int? {
        let node = graph.nodes[index].node
        let x = node.inputs[0], s = node.outputs[0]
        guard readers[s] == 1, !graph.outputs.contains(s) else { return nil }
        for later in (index + 1)..<graph.nodes.count where !skipped.contains(later) {
            let candidate = graph.nodes[later].node
            if candidate.opType == "Mul", Set(candidate.inputs) == Set([x, s]), candidate.inputs.count == 2 {
                return later
            }
        }
        return nil
    }

    // MARK: lowering helpers (one per primitive kind)

    mutating func lowerReference(_ planned: PlannedNode) throws {
        var inputs: [String?] = []
        for name in planned.node.inputs { inputs.append(name.isEmpty ? nil : try ensure(name, .plain)) }
        for (name, type) in zip(planned.node.outputs, planned.outputTypes) where !name.isEmpty {
            types[name] = type
            layouts[name] = .plain
        }
        steps.append(.reference(planned, inputs: inputs, outputs: planned.node.outputs))
    }

    mutating func lowerEltwise(x: String, out: String, alg: dnnl_alg_kind_t, alpha: Float, beta: Float) throws {
        let source = root(x)
        let layout = self.layout(x)
        let type = types[x]!
        types[out] = type
        layouts[out] = layout
        var md = try memoryDescriptor(type.shape, layout: layout)
        var descriptor = dnnl_eltwise_desc_t()
        try dnnlCheck(dnnl_eltwise_forward_desc_init(&descriptor, dnnl_forward_inference, alg, &md, alpha, beta), "eltwise for \(out)")
        let primitive = try DNNLPrimitive(&descriptor, attributes: try DNNLAttributes(), what: "eltwise for \(out)")
        steps.append(.primitive(primitive, [(DNNLArgument.src, md, source), (DNNLArgument.dst, md, out)]))
    }

    mutating func lowerBinary(_ planned: PlannedNode) throws {
        let node = planned.node
        var a = node.inputs[0], b = node.inputs[1]
        let outType = planned.outputTypes[0]
        let commutative = ["Add", "Mul", "Max", "Min"].contains(node.opType)
        if types[a]!.shape != outType.shape {
            guard commutative, types[b]!.shape == outType.shape else { return try lowerReference(planned) }
            swap(&a, &b)
        }
        let alg: dnnl_alg_kind_t = switch node.opType {
        case "Add": dnnl_binary_add
        case "Sub": dnnl_binary_sub
        case "Mul": dnnl_binary_mul
        case "Div": dnnl_binary_div
        case "Max": dnnl_binary_max
        default: dnnl_binary_min
        }
        // Same-shape 4-D operands stay in whichever layout the first is in; anything broadcast runs plain.
        let sameShape = types[b]!.shape == outType.shape
        let layout: Layout = sameShape && outType.shape.rank == 4 ? self.layout(a) : .plain
        let left = root(try ensure(a, layout)), right = root(try ensure(b, layout))
        let out = node.outputs[0]
        types[out] = outType
        layouts[out] = layout
        var md0 = try memoryDescriptor(outType.shape, layout: layout)
        var md1 = try memoryDescriptor(types[b]!.shape, layout: layout, rank: outType.shape.rank)
        var dst = md0
        var descriptor = dnnl_binary_desc_t()
        try dnnlCheck(dnnl_binary_desc_init(&descriptor, alg, &md0, &md1, &dst), "binary \(node.label)")
        let primitive = try DNNLPrimitive(&descriptor, attributes: try DNNLAttributes(), what: "binary \(node.label)")
        steps.append(.primitive(primitive, [(DNNLArgument.src, md0, left), (DNNLArgument.src1, md1, right), (DNNLArgument.dst, dst, out)]))
    }

    mutating func lowerConcat(_ planned: PlannedNode) throws {
        if lowerPlanarConcat(planned) { return }
        let node = planned.node
        for name in node.inputs where planarViews[name] != nil { materializePlanarView(name) }
        let outType = planned.outputTypes[0]
        let axis = try normalizedAxis((planned.op as! ConcatOp).axis, rank: outType.shape.rank, node: node)
        // Concatenate in the inputs' layout when they agree (the reader converts once); otherwise in the
        // layout the readers want.
        let inputLayouts = Set(node.inputs.filter { !$0.isEmpty }.map { self.layout($0) })
        let layout: Layout = inputLayouts == [.nhwc] && outType.shape.rank == 4 ? .nhwc : preference.layout(for: node.outputs[0])
        let inputs = node.inputs.filter { !$0.isEmpty && types[$0]!.shape.elementCount > 0 }
        var ready: [String] = []
        for name in inputs {
            if channelViews[name] != nil && layout != .nhwc { try materialize(name) }
            ready.append(channelViews[name] != nil ? name : root(try ensure(name, layout)))
        }
        let out = node.outputs[0]
        types[out] = outType
        layouts[out] = layout
        // Rows and run lengths in physical order: NHWC puts channels innermost.
        let physical = layout == .nhwc && outType.shape.rank == 4 ? [0, 2, 3, 1] : Array(0..<outType.shape.rank)
        let physicalAxis = physical.firstIndex(of: axis)!
        let rows = physical[..<physicalAxis].map { outType.shape.dims[$0] }.reduce(1, *)
        let chunks = inputs.map { name in
            physical[physicalAxis...].map { types[name]!.shape.dims[$0] }.reduce(1, *) * 4
        }
        let offsets = inputs.map { channelViews[$0]?.offset ?? 0 }
        let strides = zip(inputs, chunks).map { channelViews[$0.0]?.rowBytes ?? $0.1 }
        // Neighbouring channel ranges of one tensor (a C2f's two split halves) are copied as one run.
        var pieces: [(source: String, chunk: Int, offset: Int, stride: Int)] = []
        for (source, (chunk, (offset, stride))) in zip(ready.map(root), zip(chunks, zip(offsets, strides))) {
            if let last = pieces.last, last.source == source, last.stride == stride, last.offset + last.chunk == offset {
                pieces[pieces.count - 1].chunk += chunk
            } else {
                pieces.append((source, chunk, offset, stride))
            }
        }
        steps.append(.concat(ConcatCopy(chunkBytes: pieces.map(\.chunk), rows: rows, sourceOffsets: pieces.map(\.offset),
                                        sourceRowBytes: pieces.map(\.stride)),
                             inputs: pieces.map(\.source), output: out))
    }

    /// Copies a channel view out into its own NHWC value (a concatenation in another layout reads it).
    mutating func materialize(_ name: String) throws {
        guard let view = viewSources[name] else { return }
        let source = aliases[name]!
        channelViews[name] = nil
        viewSources[name] = nil
        aliases[name] = nil
        var parent = view.parent
        var sub = dnnl_memory_desc_t()
        try dnnlCheck(dnnl_memory_desc_init_submemory(&sub, &parent, view.shape.dims.map { Int64($0) }, view.offsets.map { Int64($0) }), "view for \(name)")
        try addReorder(from: sub, source, to: try memoryDescriptor(view.shape, layout: .nhwc), name)
    }

    /// The node that is the only reader of `value`, when `value` is not also a graph output (what a fused step
    /// may swallow).
    func onlyReader(of value: String) -> Int? {
        guard readers[value] == 1, !graph.outputs.contains(value) else { return nil }
        return graph.nodes.indices.first { graph.nodes[$0].node.inputs.contains(value) }
    }

    /// Whether every reader of `value` is a channel Concat of 4-D tensors (which reads channel ranges in place).
    func isOnlyConcatenated(_ value: String) -> Bool {
        guard !graph.outputs.contains(value) else { return false }
        let readers = graph.nodes.enumerated().filter { $0.element.node.inputs.contains(value) }
        return !readers.isEmpty && readers.allSatisfy { index, planned in
            guard planned.node.opType == "Concat", !skipped.contains(index), let op = planned.op as? ConcatOp,
                  planned.outputTypes[0].shape.rank == 4 else { return false }
            return (try? normalizedAxis(op.axis, rank: 4, node: planned.node)) == 1
        }
    }

    /// Split and unit-step Slice: each output is a reorder from a sub-memory view of the input.
    mutating func lowerSlices(_ planned: PlannedNode) throws {
        if lowerPlanarSlices(planned) { return }
        let node = planned.node
        materializePlanarView(node.inputs[0])
        let input = node.inputs[0]
        let inType = types[input]!
        var views: [(offsets: [Int], shape: Shape)] = []
        if let split = planned.op as? SplitOp {
            let axis = try normalizedAxis(split.axis, rank: inType.shape.rank, node: node)
            var start = 0
            for size in try split.sizes(inType.shape, constants: planned.constants) {
                var offsets = Array(repeating: 0, count: inType.shape.rank)
                offsets[axis] = start
                var dims = inType.shape.dims
                dims[axis] = size
                views.append((offsets, Shape(dims)))
                start += size
            }
        } else {
            let view = try (planned.op as! SliceOp).resolve(inType.shape, constants: planned.constants)
            guard view.strides == inType.shape.strides, view.offset >= 0 else { return try lowerReference(planned) }
            var remainder = view.offset
            let offsets = inType.shape.strides.map { stride -> Int in defer { remainder %= stride }; return remainder / stride }
            views.append((offsets, view.shape))
        }
        let parent = try memoryDescriptor(inType.shape, layout: layout(input))
        let source = root(input)
        for (name, view) in zip(node.outputs, views) where !name.isEmpty {
            let targetLayout = preference.layout(for: name)
            types[name] = TensorType(.float32, view.shape)
            layouts[name] = targetLayout
            if view.shape.elementCount == 0 { constants[name] = Tensor(zeros: .float32, shape: view.shape); continue }
            if layout(input) == .nhwc && targetLayout == .nhwc && inType.shape.rank == 4 && isOnlyConcatenated(name),
               (0..<4).allSatisfy({ $0 == 1 || (view.offsets[$0] == 0 && view.shape.dims[$0] == inType.shape.dims[$0]) }) {
                // Read in place by the concatenations, never copied out.
                channelViews[name] = (view.offsets[1] * 4, inType.shape.dims[1] * 4)
                viewSources[name] = (parent, view.offsets, view.shape)
                aliases[name] = source
                continue
            }
            var parentCopy = parent
            var sub = dnnl_memory_desc_t()
            try dnnlCheck(dnnl_memory_desc_init_submemory(&sub, &parentCopy, view.shape.dims.map { Int64($0) }, view.offsets.map { Int64($0) }), "view for \(name)")
            try addReorder(from: sub, source, to: try memoryDescriptor(view.shape, layout: targetLayout), name)
        }
    }

    mutating func lowerTranspose(_ planned: PlannedNode) throws {
        let input = planned.node.inputs[0]
        let inType = types[input]!
        let perm = try (planned.op as! TransposeOp).permutation(rank: inType.shape.rank)
        let strides = layout(input).strides(inType.shape)
        let outType = planned.outputTypes[0]
        let out = planned.node.outputs[0]
        types[out] = outType
        layouts[out] = .plain
        let source = try memoryDescriptor(outType.shape, strides: perm.map { strides[$0] })
        try addReorder(from: source, root(input), to: try memoryDescriptor(outType.shape), out)
    }

    mutating func lowerSoftmax(_ planned: PlannedNode) throws {
        let op = planned.op as! SoftmaxOp
        let input = root(try ensure(planned.node.inputs[0], .plain))
        let type = planned.outputTypes[0]
        let (outer, length, inner) = try op.layout(type.shape)
        // Seen as [outer, length, inner] the softmax axis is always 1, whatever the opset's flattening rule.
        let logical = Shape([outer, length, inner])
        let out = planned.node.outputs[0]
        types[out] = type
        layouts[out] = .plain
        // oneDNN's fast softmax wants the axis innermost; when it is not (DFL's softmax over 16 bins), run it on
        // an [outer, inner, length] copy and reorder back: two cheap reorders instead of the slow generic kernel.
        let axisInnermost = inner == 1
        let strided = try memoryDescriptor(logical, strides: [length * inner, 1, length])
        var md = axisInnermost ? try memoryDescriptor(logical) : strided
        var dst = md
        var descriptor = dnnl_softmax_v2_desc_t()
        try dnnlCheck(dnnl_softmax_v2_forward_desc_init(&descriptor, dnnl_forward_inference, dnnl_softmax_accurate, &md, &dst, 1), "softmax \(planned.node.label)")
        let primitive = try DNNLPrimitive(&descriptor, attributes: try DNNLAttributes(), what: "softmax \(planned.node.label)")
        if axisInnermost {
            steps.append(.primitive(primitive, [(DNNLArgument.src, md, input), (DNNLArgument.dst, dst, out)]))
            return
        }
        let flat = TensorType(.float32, logical)
        let before = newValue(flat, layout: .plain, hint: "\(out).axis-last")
        let after = newValue(flat, layout: .plain, hint: "\(out).softmax")
        try addReorder(from: try memoryDescriptor(logical), input, to: strided, before)
        steps.append(.primitive(primitive, [(DNNLArgument.src, md, before), (DNNLArgument.dst, dst, after)]))
        try addReorder(from: strided, after, to: try memoryDescriptor(logical), out)
    }

    mutating func lowerMatMul(_ planned: PlannedNode) throws {
        let node = planned.node
        let outType = planned.outputTypes[0]
        let a = root(try ensure(node.inputs[0], .plain)), b = root(try ensure(node.inputs[1], .plain))
        let rank = outType.shape.rank
        var src = try memoryDescriptor(types[node.inputs[0]]!.shape, layout: .plain, rank: rank)
        var weights = try memoryDescriptor(types[node.inputs[1]]!.shape, layout: .plain, rank: rank)
        var dst = try memoryDescriptor(outType.shape)
        var descriptor = dnnl_matmul_desc_t()
        try dnnlCheck(dnnl_matmul_desc_init(&descriptor, &src, &weights, nil, &dst), "matmul \(node.label)")
        let out = node.outputs[0]
        types[out] = outType
        layouts[out] = .plain
        let primitive = try DNNLPrimitive(&descriptor, attributes: try DNNLAttributes(), what: "matmul \(node.label)")
        steps.append(.primitive(primitive, [(DNNLArgument.src, src, a), (DNNLArgument.weights, weights, b), (DNNLArgument.dst, dst, out)]))
    }

    mutating func lowerMaxPool(_ planned: PlannedNode) throws {
        let node = planned.node
        let op = planned.op as! MaxPoolOp
        let inType = types[node.inputs[0]]!
        let (window, outShape) = try op.geometry(inType.shape)
        let input = root(try ensure(node.inputs[0], .nhwc))
        var src = try memoryDescriptor(inType.shape, layout: .nhwc)
        var dst = try memoryDescriptor(outShape, layout: .nhwc)
        let (padLeft, padRight) = Self.padding(window, input: inType.shape, output: outShape)
        var descriptor = dnnl_pooling_v2_desc_t()
        try dnnlCheck(dnnl_pooling_v2_forward_desc_init(&descriptor, dnnl_forward_inference, dnnl_pooling_max, &src, &dst,
                                                         window.strides.map { Int64($0) }, window.kernel.map { Int64($0) },
                                                         window.dilations.map { Int64($0 - 1) }, padLeft, padRight), "pooling \(node.label)")
        let out = node.outputs[0]
        types[out] = planned.outputTypes[0]
        layouts[out] = .nhwc
        let primitive = try DNNLPrimitive(&descriptor, attributes: try DNNLAttributes(), what: "pooling \(node.label)")
        steps.append(.primitive(primitive, [(DNNLArgument.src, src, input), (DNNLArgument.dst, dst, out)]))
    }

    /// oneDNN wants the right/bottom padding that makes its output size formula land on `output` exactly.
    static func padding(_ window: Window2D, input: Shape, output: Shape) -> ([Int64], [Int64]) {
        let left = [Int64(window.pads[0]), Int64(window.pads[1])]
        let right = (0..<2).map { axis -> Int64 in
            let extent = window.dilations[axis] * (window.kernel[axis] - 1) + 1
            return Int64((output.dims[2 + axis] - 1) * window.strides[axis] + extent - input.dims[2 + axis] - window.pads[axis])
        }
        return (left, right)
    }

    mutating func lowerResize(_ planned: PlannedNode) throws {
        let node = planned.node
        let op = planned.op as! ResizeOp
        let inType = types[node.inputs[0]]!
        let outShape = planned.outputTypes[0].shape
        let (_, scales) = try op.plan(inType.shape, constants: planned.constants)
        // oneDNN's nearest picks floor(out / factor) for whole-number factors; use it only where ONNX agrees.
        let matches = inType.shape.dims[0] == outShape.dims[0] && inType.shape.dims[1] == outShape.dims[1] && (2..<4).allSatisfy { axis in
            let factor = outShape.dims[axis] / max(inType.shape.dims[axis], 1)
            return factor * inType.shape.dims[axis] == outShape.dims[axis]
                && op.sourceIndices(outSize: outShape.dims[axis], inSize: inType.shape.dims[axis], scale: scales[axis]) == (0..<outShape.dims[axis]).map { $0 / factor }
        }
        guard matches else { return try lowerReference(planned) }
        let input = root(try ensure(node.inputs[0], .nhwc))
        var src = try memoryDescriptor(inType.shape, layout: .nhwc)
        var dst = try memoryDescriptor(outShape, layout: .nhwc)
        var descriptor = dnnl_resampling_desc_t()
        try dnnlCheck(dnnl_resampling_forward_desc_init(&descriptor, dnnl_forward_inference, dnnl_resampling_nearest, nil, &src, &dst), "resampling \(node.label)")
        let out = node.outputs[0]
        types[out] = planned.outputTypes[0]
        layouts[out] = .nhwc
        let primitive = try DNNLPrimitive(&descriptor, attributes: try DNNLAttributes(), what: "resampling \(node.label)")
        steps.append(.primitive(primitive, [(DNNLArgument.src, src, input), (DNNLArgument.dst, dst, out)]))
    }
}

internal import CDNNL
internal import YOLOFuseONNX
import YOLOFuseTensor

extension DNNLCompiler {
    /// Conv with its following SiLU (Sigmoid+Mul) and residual Add folded in: as oneDNN post-ops, or in the
    /// epilogue of a Winograd convolution.
    mutating func lowerConv(_ planned: PlannedNode, index: Int) throws {
        let node = planned.node
        let op = planned.op as! ConvOp
        let inType = types[node.inputs[0]]!
        let weight = constants[node.inputs[1]]!
        let bias = node.inputs.count > 2 && !node.inputs[2].isEmpty ? node.inputs[2] : nil
        let (window, outShape) = try op.geometry(inType.shape, weight: weight.shape)

        let epilogue = fusedEpilogue(ofConvolution: index, outputShape: outShape)
        skipped.formUnion(epilogue.nodes)
        let (output, swish, residualSource) = (epilogue.output, epilogue.swish, epilogue.residual)

        if planarPlan.convolutions.contains(index) && layout(node.inputs[0]) == .plain {
            return try lowerPlanarConv(planned, index: index, op: op, weight: weight, bias: bias, window: window, output: outShape,
                                       swish: swish, residual: residualSource, into: output)
        }
        if try lowerWinogradConv(node, index: index, op: op, weight: weight, bias: bias, window: window, input: inType.shape,
                                 output: outShape, swish: swish, residual: residualSource, into: output) {
            return
        }
        let residual = try residualSource.map { root(try ensure($0, .nhwc)) }
        let input = root(try ensure(node.inputs[0], .nhwc))
        var src = try memoryDescriptor(inType.shape, layout: .nhwc)
        var dst = try memoryDescriptor(outShape, layout: .nhwc)
        let groups = op.group
        let weightDims = groups == 1 ? weight.shape.dims : [groups, weight.shape.dims[0] / groups] + Array(weight.shape.dims[1...])
        var weightsAny = dnnl_memory_desc_t()
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&weightsAny, Int32(weightDims.count), weightDims.map { Int64($0) }, dnnl_f32, dnnl_format_tag_any), "weights descriptor")
        var biasMD = try memoryDescriptor(Shape([outShape.dims[1]]))
        let (padLeft, padRight) = Self.padding(window, input: inType.shape, output: outShape)
        var descriptor = dnnl_convolution_desc_t()
        let status = withUnsafePointer(to: &biasMD) { biasPointer in
            dnnl_dilated_convolution_forward_desc_init(
                &descriptor, dnnl_forward_inference, dnnl_convolution_direct, &src, &weightsAny, bias == nil ? nil : biasPointer, &dst,
                window.strides.map { Int64($0) }, window.dilations.map { Int64($0 - 1) }, padLeft, padRight)
        }
        try dnnlCheck(status, "convolution \(node.label)")

        let attributes = try DNNLAttributes()
        var residualMD = dst
        try attributes.setPostOps { postOps in
            if swish { try dnnlCheck(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_swish, 1, 0), "swish post-op") }
            if residual != nil { try dnnlCheck(dnnl_post_ops_append_binary(postOps, dnnl_binary_add, &residualMD), "add post-op") }
        }
        let primitive = try DNNLPrimitive(&descriptor, attributes: attributes, what: "convolution \(node.label)")

        let (packedMD, packedName) = try packWeights(weight, dims: weightDims, for: primitive, hint: node.inputs[1])

        var args: [(argument: Int32, descriptor: dnnl_memory_desc_t, value: String)] = [
            (DNNLArgument.src, src, input), (DNNLArgument.weights, packedMD, packedName),
        ]
        if let bias { args.append((DNNLArgument.bias, biasMD, bias)) }
        if let residual { args.append((DNNLArgument.postOpSource(swish ? 1 : 0), residualMD, residual)) }
        types[output] = TensorType(.float32, outShape)
        layouts[output] = .nhwc
        args.append((DNNLArgument.dst, dst, output))
        steps.append(.primitive(primitive, args))
    }

    /// Weights reordered once, now, into the layout the primitive's kernel reads: its descriptor and constant.
    mutating func packWeights(_ weight: Tensor, dims: [Int], for primitive: DNNLPrimitive, hint: String) throws -> (dnnl_memory_desc_t, String) {
        let packedMD = primitive.query(dnnl_query_weights_md)!
        let packed = try Self.reorderNow(weight, from: try memoryDescriptor(Shape(dims)), to: packedMD)
        let packedName = newValue(TensorType(.float32, Shape([packed.elementCount])), layout: .plain, hint: hint)
        constants[packedName] = packed
        return (packedMD, packedName)
    }

    /// What a convolution's step absorbs after it: its SiLU (Sigmoid and Mul) and then a residual Add, as node
    /// indices, and the value the step finally writes.
    func fusedEpilogue(ofConvolution index: Int, outputShape: Shape) -> (nodes: [Int], swish: Bool, residual: String?, output: String) {
        var output = graph.nodes[index].node.outputs[0]
        var nodes: [Int] = []
        if let (sigmoid, mul) = siluAfter(output, from: index) {
            nodes += [sigmoid, mul]
            output = graph.nodes[mul].node.outputs[0]
        }
        let swish = !nodes.isEmpty
        var residual: String?
        if let (add, other) = residualAdd(after: output, from: index, shape: outputShape) {
            nodes.append(add)
            residual = other
            output = graph.nodes[add].node.outputs[0]
        }
        return (nodes, swish, residual, output)
    }

    /// The Sigmoid and Mul node indices of a SiLU applied to `value`, if nothing else reads its parts.
    func siluAfter(_ value: String, from index: Int) -> (Int, Int)? {
        guard readers[value] == 2, !graph.outputs.contains(value) else { return nil }
        let later = ((index + 1)..<graph.nodes.count).filter { graph.nodes[$0].node.inputs.contains(value) }
        guard later.count == 2 else { return nil }
        let (sigmoid, mul) = graph.nodes[later[0]].node.opType == "Sigmoid" ? (later[0], later[1]) : (later[1], later[0])
        let s = graph.nodes[sigmoid].node, m = graph.nodes[mul].node
        guard s.opType == "Sigmoid", m.opType == "Mul", m.inputs.count == 2, Set(m.inputs) == Set([value, s.outputs[0]]),
              readers[s.outputs[0]] == 1, !graph.outputs.contains(s.outputs[0]) else { return nil }
        return (sigmoid, mul)
    }

    /// The single Add reading `value` whose other operand has the same shape and is ready before the conv runs.
    func residualAdd(after value: String, from index: Int, shape: Shape) -> (Int, String)? {
        guard let add = onlyReader(of: value), add > index,
              graph.nodes[add].node.opType == "Add", graph.nodes[add].node.inputs.count == 2 else { return nil }
        let inputs = graph.nodes[add].node.inputs
        let other = inputs[0] == value ? inputs[1] : inputs[0]
        guard other != value, types[other]?.shape == shape, types[other]?.dataType == .float32 else { return nil }
        // Ready means: a graph input, a constant, or produced by a node already lowered.
        if let producer = producers[other], producer >= index { return nil }
        return (add, other)
    }

    /// Runs a reorder at compile time (weights into the kernel's packed layout).
    static func reorderNow(_ tensor: Tensor, from source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t) throws -> Tensor {
        var src = source, dst = destination
        let bytes = dnnl_memory_desc_get_size(&dst)
        let packed = Tensor(zeros: .float32, shape: Shape([bytes / 4]))
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &src, DNNLEngine.shared, &dst, DNNLEngine.shared, nil), "weights reorder")
        let reorder = try DNNLPrimitive(descriptor: pd!)
        var srcMemory: dnnl_memory_t?, dstMemory: dnnl_memory_t?, stream: dnnl_stream_t?
        try dnnlCheck(dnnl_memory_create(&srcMemory, &src, DNNLEngine.shared, tensor.storage.pointer), "weights memory")
        defer { dnnl_memory_destroy(srcMemory) }
        try dnnlCheck(dnnl_memory_create(&dstMemory, &dst, DNNLEngine.shared, packed.storage.pointer), "packed weights memory")
        defer { dnnl_memory_destroy(dstMemory) }
        try dnnlCheck(dnnl_stream_create(&stream, DNNLEngine.shared, UInt32(dnnl_stream_default_flags.rawValue)), "stream")
        defer { dnnl_stream_destroy(stream) }
        let args = [dnnl_exec_arg_t(arg: DNNLArgument.src, memory: srcMemory), dnnl_exec_arg_t(arg: DNNLArgument.dst, memory: dstMemory)]
        try dnnlCheck(dnnl_primitive_execute(reorder.handle, stream, 2, args), "weights reorder")
        try dnnlCheck(dnnl_stream_wait(stream), "weights reorder")
        return packed
    }

    /// Memory planning: every value's lifetime over the steps, one arena, locations resolved.
    func finish(_ outputs: [(String, String)]) throws -> DNNLGraph {
        let inputNames = Set(graph.inputs.map(\.name))
        var first: [String: Int] = [:], last: [String: Int] = [:]
        func isArena(_ name: String) -> Bool { constants[name] == nil && !inputNames.contains(name) }
        for (index, step) in steps.enumerated() {
            for name in step.writes.map(root) where isArena(name) { first[name] = first[name] ?? index; last[name] = max(last[name] ?? index, index) }
            for name in step.reads.map(root) where isArena(name) { last[name] = max(last[name] ?? index, index) }
        }
        for (_, stored) in outputs where isArena(root(stored)) { last[root(stored)] = steps.count }
        let lifetimes = first.keys.map { name in
            let type = types[name]!
            return MemoryPlanner.Lifetime(name: name, bytes: type.shape.elementCount * type.dataType.byteWidth, first: first[name]!, last: last[name]!)
        }
        let (offsets, size) = MemoryPlanner.plan(lifetimes)
        func location(_ name: String) -> ValueLocation {
            let base = root(name)
            if let tensor = constants[base] { return .constant(tensor) }
            if inputNames.contains(base) { return .input(base) }
            return .arena(offsets[base]!)
        }
        let compiled: [DNNLStep] = steps.map { step in
            switch step {
            case .primitive(let primitive, let args):
                return .primitive(primitive, args.map { ($0.argument, $0.descriptor, location($0.value)) })
            case .concat(let copy, let inputs, let output):
                return .concat(copy, inputs: inputs.map(location), output: location(output))
            case .dfl(let kernel, let input, let output):
                return .dfl(kernel, input: location(input), output: location(output))
            case .winogradEpilogue(let epilogue, let input, let residual, let output):
                return .winogradEpilogue(epilogue, input: location(input), residual: residual.map(location), output: location(output))
            case .planarConv(let convolution, let inputs, let residual, let output):
                return .planarConv(convolution, inputs: inputs.map { .init(location: location($0.value), segment: $0) },
                                   residual: residual.map { .init(location: location($0.value), segment: $0) }, output: location(output))
            case .reference(let planned, let inputs, let outputs):
                return .reference(planned, inputs: inputs.map { $0.map { (location($0), types[$0]!) } },
                                  outputs: outputs.filter { !$0.isEmpty }.map { (location($0), types[$0]!) })
            }
        }
        return DNNLGraph(steps: compiled, arenaBytes: size,
                         outputs: outputs.map { ($0.0, location($0.1), types[$0.1]!) })
    }
}

/// A set of examples: inputs and targets, stored compactly and converted to `Float` per batch.
///
/// Images are kept as bytes (MNIST: 47 MB instead of 188 MB as floats) and scaled into the batch
/// matrix when a batch is assembled; regression inputs are kept as floats.
public struct Dataset: Sendable {
    /// How the examples' inputs are stored: bytes with a scale (images), or floats.
    public enum Features: Sendable {
        /// Bytes, each mapped to `Float(byte) · scale` when a batch is assembled.
        case bytes([UInt8], scale: Float)
        case floats([Float])
    }

    /// What the network learns to produce for each example.
    public enum Targets: Sendable {
        /// Class labels `0 ..< classCount`; the batch target is their one-hot encoding.
        case classes([UInt8], classCount: Int)
        /// Real-valued targets, `width` per example.
        case values([Float], width: Int)
        /// The example's own features, byte-scaled but not standardized (an autoencoder's target);
        /// the class labels, if any, are kept for plots.
        case reconstruction(labels: [UInt8]?)
    }

    /// The dataset's name, for messages and run records.
    public var name: String
    /// The number of examples.
    public var count: Int
    /// Input values per example.
    public var featureCount: Int
    /// The inputs, row-major, `count × featureCount`.
    public var features: Features
    /// The targets.
    public var targets: Targets
    /// The affine map applied to every feature when a batch is assembled.
    public var standardization: FeatureStandardization?

    /// A dataset of `count` examples; `features` holds `count × featureCount` values.
    public init(name: String, count: Int, featureCount: Int, features: Features, targets: Targets) {
        self.name = name
        self.count = count
        self.featureCount = featureCount
        self.features = features
        self.targets = targets
    }

    /// The raw value (after byte scaling) of feature `column` of example `row`.
    @inline(__always)
    func rawFeature(_ row: Int, _ column: Int) -> Float {
        switch features {
        case .bytes(let bytes, let scale): Float(bytes[row * featureCount + column]) * scale
        case .floats(let values): values[row * featureCount + column]
        }
    }

    /// The width of the network output this dataset asks for.
    public var outputSize: Int {
        switch targets {
        case .classes(_, let classCount): classCount
        case .values(_, let width): width
        case .reconstruction: featureCount
        }
    }

    /// The same examples with their inputs as targets.
    public func asAutoencoder() -> Dataset {
        var copy = self
        if case .classes(let labels, _) = targets { copy.targets = .reconstruction(labels: labels) } else { copy.targets = .reconstruction(labels: nil) }
        return copy
    }

    /// Whether the targets are classes (an error rate is measured).
    public var isClassification: Bool {
        if case .classes = targets { return true } else { return false }
    }

    /// The class label of example `index`, for classification sets.
    @inline(__always)
    public func label(_ index: Int) -> Int? {
        switch targets {
        case .classes(let labels, _): Int(labels[index])
        case .reconstruction(let labels?): Int(labels[index])
        default: nil
        }
    }

    /// Copies the examples `indices` into the first rows of `input` `(batch, features)` and
    /// `target` `(batch, outputs)`. No allocation.
    public func fillBatch(_ indices: ArraySlice<Int>, input: inout Matrix, target: inout Matrix) {
        indices.withUnsafeBufferPointer { fillBatch($0, input: &input, target: &target) }
    }

    /// Copies the consecutive examples `range` into `input` and `target`.
    public func fillBatch(_ range: Range<Int>, input: inout Matrix, target: inout Matrix) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: range.count) { indices in
            for (i, example) in range.enumerated() { indices[i] = example }
            fillBatch(UnsafeBufferPointer(indices), input: &input, target: &target)
        }
    }

    // Not generic over the index collection on purpose: an unspecialized generic iteration boxes
    // its iterator, which costs a heap allocation per example in the training loop.
    private func fillBatch(_ indices: UnsafeBufferPointer<Int>, input: inout Matrix, target: inout Matrix) {
        precondition(input.rows == indices.count && input.columns == featureCount && target.rows == indices.count)
        let width = featureCount
        // x = raw · gain + offset per feature; the byte scale is folded into the gain.
        let unit = [Float](repeating: 1, count: 0)
        let gain = standardization?.gain ?? unit, offset = standardization?.offset ?? unit
        let standardized = standardization != nil
        input.storage.withUnsafeMutableBufferPointer { x in
            gain.withUnsafeBufferPointer { gain in
                offset.withUnsafeBufferPointer { offset in
                    switch features {
                    case .bytes(let bytes, let scale):
                        bytes.withUnsafeBufferPointer { source in
                            for (row, example) in indices.enumerated() {
                                let s = source.baseAddress! + example * width, d = x.baseAddress! + row * width
                                if VectorKernels.bytesToFloats(s, d, width, scale: scale, gain: standardized ? gain.baseAddress : nil,
                                                               offset: standardized ? offset.baseAddress : nil) { continue }
                                if standardized {
                                    for c in 0..<width { d[c] = (Float(s[c]) * scale) * gain[c] + offset[c] }
                                } else {
                                    for c in 0..<width { d[c] = Float(s[c]) * scale }
                                }
                            }
                        }
                    case .floats(let values):
                        values.withUnsafeBufferPointer { source in
                            for (row, example) in indices.enumerated() {
                                let s = source.baseAddress! + example * width, d = x.baseAddress! + row * width
                                if standardized {
                                    for c in 0..<width { d[c] = s[c] * gain[c] + offset[c] }
                                } else {
                                    d.update(from: s, count: width)
                                }
                            }
                        }
                    }
                }
            }
        }
        let outputs = target.columns
        target.storage.withUnsafeMutableBufferPointer { y in
            switch targets {
            case .classes(let labels, _):
                for (row, example) in indices.enumerated() {
                    let d = y.baseAddress! + row * outputs
                    d.update(repeating: 0, count: outputs)
                    d[Int(labels[example])] = 1
                }
            case .values(let values, let valueWidth):
                values.withUnsafeBufferPointer { source in
                    for (row, example) in indices.enumerated() {
                        (y.baseAddress! + row * outputs).update(from: source.baseAddress! + example * valueWidth, count: valueWidth)
                    }
                }
            case .reconstruction:
                switch features {
                case .bytes(let bytes, let scale):
                    bytes.withUnsafeBufferPointer { source in
                        for (row, example) in indices.enumerated() {
                            let s = source.baseAddress! + example * outputs, d = y.baseAddress! + row * outputs
                            for c in 0..<outputs { d[c] = Float(s[c]) * scale }
                        }
                    }
                case .floats(let values):
                    values.withUnsafeBufferPointer { source in
                        for (row, example) in indices.enumerated() {
                            (y.baseAddress! + row * outputs).update(from: source.baseAddress! + example * outputs, count: outputs)
                        }
                    }
                }
            }
        }
    }

    /// The examples `rows`, in that order, as a new dataset (cross-validation folds).
    public func selecting(rows: [Int], name: String) -> Dataset {
        let w = featureCount
        let f: Features = switch features {
        case .bytes(let b, let scale): .bytes(rows.flatMap { b[($0 * w)..<(($0 + 1) * w)] }, scale: scale)
        case .floats(let v): .floats(rows.flatMap { v[($0 * w)..<(($0 + 1) * w)] })
        }
        let t: Targets = switch targets {
        case .classes(let l, let k): .classes(rows.map { l[$0] }, classCount: k)
        case .values(let v, let width): .values(rows.flatMap { v[($0 * width)..<(($0 + 1) * width)] }, width: width)
        case .reconstruction(let l): .reconstruction(labels: l.map { labels in rows.map { labels[$0] } })
        }
        var result = Dataset(name: name, count: rows.count, featureCount: w, features: f, targets: t)
        result.standardization = standardization
        return result
    }

    /// The examples `range`, as a new dataset (for splitting a set without its own test split).
    public func slice(_ range: Range<Int>, name: String) -> Dataset {
        let f: Features = switch features {
        case .bytes(let b, let scale): .bytes(Array(b[(range.lowerBound * featureCount)..<(range.upperBound * featureCount)]), scale: scale)
        case .floats(let v): .floats(Array(v[(range.lowerBound * featureCount)..<(range.upperBound * featureCount)]))
        }
        let t: Targets = switch targets {
        case .classes(let l, let k): .classes(Array(l[range]), classCount: k)
        case .values(let v, let w): .values(Array(v[(range.lowerBound * w)..<(range.upperBound * w)]), width: w)
        case .reconstruction(let l): .reconstruction(labels: l.map { Array($0[range]) })
        }
        var sliced = Dataset(name: name, count: range.count, featureCount: featureCount, features: f, targets: t)
        sliced.standardization = standardization
        return sliced
    }
}

/// How inputs are rescaled before they reach the network (`--inputs`).
public enum InputScaling: String, CaseIterable, Sendable, Codable {
    /// As stored: images in [0, 1], regression inputs unchanged.
    case raw
    /// Zero mean and unit variance over all features together, measured on the training set
    /// (torchvision's `Normalize((0.1307,), (0.3081,))` for MNIST).
    case global
    /// Zero mean and unit variance per feature, measured on the training set (constant features
    /// are only centred).
    case feature
}

/// A per-feature affine map `x ↦ x·gain + offset`, fitted on a training set and applied alike
/// to its test set.
public struct FeatureStandardization: Sendable, Equatable {
    /// Per feature (or one for all): the factor that multiplies the input.
    public var gain: [Float]
    /// Per feature (or one for all): what is added after the factor.
    public var offset: [Float]

    /// Fits the map of `scaling` on `data`; `nil` for `.raw`.
    public init?(fitting scaling: InputScaling, on data: Dataset) {
        guard scaling != .raw, data.count > 0 else { return nil }
        let width = data.featureCount
        var sum = [Double](repeating: 0, count: width), squares = [Double](repeating: 0, count: width)
        for row in 0..<data.count {
            for c in 0..<width {
                let v = Double(data.rawFeature(row, c))
                sum[c] += v
                squares[c] += v * v
            }
        }
        let n = Double(data.count)
        var mean = sum.map { $0 / n }
        var variance = zip(squares, mean).map { max($0 / n - $1 * $1, 0) }
        if scaling == .global {
            let m = sum.reduce(0, +) / (n * Double(width))
            let v = max(squares.reduce(0, +) / (n * Double(width)) - m * m, 0)
            mean = [Double](repeating: m, count: width)
            variance = [Double](repeating: v, count: width)
        }
        gain = variance.map { $0 > 1e-12 ? Float(1 / $0.squareRoot()) : 1 }
        offset = zip(mean, gain).map { Float(-$0) * $1 }
    }
}

extension Dataset {
    /// The dataset with only target column `column` (0-based) of a multi-target regression set.
    public func selectingTarget(column: Int) -> Dataset {
        guard case .values(let values, let width) = targets else { return self }
        var copy = self
        copy.targets = .values((0..<count).map { values[$0 * width + column] }, width: 1)
        return copy
    }

    /// Mean and standard deviation of the regression targets, over every value.
    public var targetStatistics: (mean: Double, deviation: Double)? {
        guard case .values(let values, _) = targets, !values.isEmpty else { return nil }
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance.squareRoot())
    }

    /// The targets mapped to `(y − mean) / deviation`.
    func standardizingTargets(mean: Double, deviation: Double) -> Dataset {
        guard case .values(let values, let width) = targets, deviation > 0 else { return self }
        var copy = self
        copy.targets = .values(values.map { Float((Double($0) - mean) / deviation) }, width: width)
        return copy
    }
}

extension DataSplit {
    /// For regression: keeps target `column` if given, then standardizes the targets with the
    /// training set's mean and deviation (normalized MSE is unchanged by this).
    public func preparingTargets(column: Int?) -> DataSplit {
        var split = self
        if let column {
            split.train = train.selectingTarget(column: column)
            split.test = test.selectingTarget(column: column)
        }
        if let (mean, deviation) = split.train.targetStatistics {
            split.train = split.train.standardizingTargets(mean: mean, deviation: deviation)
            split.test = split.test.standardizingTargets(mean: mean, deviation: deviation)
        }
        return split
    }

    /// The split with inputs standardized as `scaling` says, fitted on the training set.
    public func scalingInputs(_ scaling: InputScaling) -> DataSplit {
        var split = self
        let map = FeatureStandardization(fitting: scaling, on: train)
        split.train.standardization = map
        split.test.standardization = map
        return split
    }
}

/// A training set and a test set, and where they were read from.
public struct DataSplit: Sendable {
    /// The examples training sees.
    public var train: Dataset
    /// The held-out examples evaluation sees.
    public var test: Dataset
    /// A human-readable origin (folder or "bundled").
    public var source: String

    /// A split; `source` says where it came from.
    public init(train: Dataset, test: Dataset, source: String) {
        self.train = train
        self.test = test
        self.source = source
    }
}

/// A set of examples: inputs and targets, stored compactly and converted to `Float` per batch.
///
/// Images are kept as bytes (MNIST: 47 MB instead of 188 MB as floats) and scaled into the batch
/// matrix when a batch is assembled; regression inputs are kept as floats.
public struct Dataset: Sendable {
    public enum Features: Sendable {
        /// Bytes, each mapped to `Float(byte) · scale` when a batch is assembled.
        case bytes([UInt8], scale: Float)
        case floats([Float])
    }

    public enum Targets: Sendable {
        /// Class labels `0 ..< classCount`; the batch target is their one-hot encoding.
        case classes([UInt8], classCount: Int)
        /// Real-valued targets, `width` per example.
        case values([Float], width: Int)
    }

    public var name: String
    public var count: Int
    public var featureCount: Int
    public var features: Features
    public var targets: Targets

    public init(name: String, count: Int, featureCount: Int, features: Features, targets: Targets) {
        self.name = name
        self.count = count
        self.featureCount = featureCount
        self.features = features
        self.targets = targets
    }

    /// The width of the network output this dataset asks for.
    public var outputSize: Int {
        switch targets {
        case .classes(_, let classCount): classCount
        case .values(_, let width): width
        }
    }

    public var isClassification: Bool {
        if case .classes = targets { return true } else { return false }
    }

    /// The class label of example `index`, for classification sets.
    @inline(__always)
    public func label(_ index: Int) -> Int? {
        if case .classes(let labels, _) = targets { return Int(labels[index]) }
        return nil
    }

    /// Copies the examples `indices` into the first rows of `input` `(batch, features)` and
    /// `target` `(batch, outputs)`. No allocation.
    public func fillBatch<Indices: Collection<Int>>(_ indices: Indices, input: inout Matrix, target: inout Matrix) {
        precondition(input.rows == indices.count && input.columns == featureCount && target.rows == indices.count)
        let width = featureCount
        input.storage.withUnsafeMutableBufferPointer { x in
            switch features {
            case .bytes(let bytes, let scale):
                bytes.withUnsafeBufferPointer { source in
                    for (row, example) in indices.enumerated() {
                        let s = source.baseAddress! + example * width, d = x.baseAddress! + row * width
                        for c in 0..<width { d[c] = Float(s[c]) * scale }
                    }
                }
            case .floats(let values):
                values.withUnsafeBufferPointer { source in
                    for (row, example) in indices.enumerated() {
                        (x.baseAddress! + row * width).update(from: source.baseAddress! + example * width, count: width)
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
            }
        }
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
        }
        return Dataset(name: name, count: range.count, featureCount: featureCount, features: f, targets: t)
    }
}

/// A training set and a test set, and where they were read from.
public struct DataSplit: Sendable {
    public var train: Dataset
    public var test: Dataset
    /// A human-readable origin (folder or "bundled").
    public var source: String
}

import Foundation

/// The binary layout every checkpoint shares: an 8-byte magic naming the kind of file, a
/// little-endian `UInt32` header length, a JSON header, then every tensor's `Float`s,
/// little-endian, in the order the header lists their shapes.
enum TensorArchive {
    /// Writes `header` and `tensors` to `path` atomically (temporary file, then rename).
    static func write<Header: Encodable>(_ header: Header, tensors: [Matrix], magic: String, to path: String) throws(TrainingError) {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let json = try? encoder.encode(header) else {
            throw .output(file: path, reason: "cannot encode the checkpoint header")
        }
        var data = Data(magic.utf8)
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for tensor in tensors {
            tensor.elements.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw .output(file: path, reason: "\(error.localizedDescription)")
        }
    }

    /// Reads a file written by ``write(_:tensors:magic:to:)``: the header, then one tensor per
    /// shape `shapes(header)` names; anything missing, extra or malformed is an error naming `path`.
    static func read<Header: Decodable>(_ type: Header.Type, from path: String, magic: String,
                                        shapes: (Header) -> [[Int]]) throws(TrainingError) -> (Header, [Matrix]) {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else {
            throw .checkpoint(file: path, reason: "the file cannot be read")
        }
        let bytes = [UInt8](data), magicBytes = Array(magic.utf8)
        guard bytes.count >= magicBytes.count + 4, Array(bytes[0..<magicBytes.count]) == magicBytes else {
            throw .checkpoint(file: path, reason: "expected a CreditKit checkpoint (magic \(magic))")
        }
        var offset = magicBytes.count
        let headerLength = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
        offset += 4
        guard bytes.count >= offset + headerLength else {
            throw .checkpoint(file: path, reason: "truncated header: expected \(headerLength) bytes")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: Data(bytes[offset..<(offset + headerLength)]))
        } catch {
            throw .checkpoint(file: path, reason: "unreadable header: \(error)")
        }
        offset += headerLength
        var tensors: [Matrix] = []
        for shape in shapes(header) {
            guard shape.count == 2, shape[0] >= 0, shape[1] >= 0 else {
                throw .checkpoint(file: path, reason: "bad tensor shape \(shape)")
            }
            let count = shape[0] * shape[1]
            guard offset + 4 * count <= bytes.count else {
                throw .checkpoint(file: path, reason: "truncated: expected \(4 * count) more bytes at offset \(offset), found \(bytes.count - offset)")
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { destination in
                bytes.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + 4 * count)])) }
            }
            offset += 4 * count
            tensors.append(Matrix(rows: shape[0], columns: shape[1], elements: values))
        }
        guard offset == bytes.count else {
            throw .checkpoint(file: path, reason: "\(bytes.count - offset) unexpected bytes after the last tensor")
        }
        return (header, tensors)
    }

    static func shape(_ m: Matrix) -> [Int] { [m.rows, m.columns] }
}

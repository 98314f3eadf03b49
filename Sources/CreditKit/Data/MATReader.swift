import Foundation

/// Reads numeric matrices from MATLAB Level 5 MAT-files (the format of the GPML and IAS robot
/// data): uncompressed and zlib-compressed (`miCOMPRESSED`) elements, either byte order, real
/// numeric classes stored in any numeric element type. Cells, structs, sparse and complex arrays
/// are reported by name as unsupported rather than misread.
///
/// Format: "MAT-File Format", The MathWorks (Level 5: a 128-byte header, then tagged data
/// elements, 8-byte aligned; a matrix is an `miMATRIX` element holding array flags,
/// dimensions, name and the real part, column-major).
public enum MATReader {
    /// A 2-D numeric array, converted to row-major `Float`.
    public struct Array2D: Sendable, Equatable {
        /// Rows of the matrix.
        public var rows: Int
        /// Columns of the matrix.
        public var columns: Int
        /// Row-major values.
        public var values: [Float]
    }

    /// Every 2-D numeric variable of the file at `path`, by name.
    public static func read(_ path: String) throws(DataError) -> [String: Array2D] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(file: path, reason: "no such file or no permission")
        }
        return try parse([UInt8](data), file: path)
    }

    static let miINT8: UInt32 = 1, miUINT8: UInt32 = 2, miINT16: UInt32 = 3, miUINT16: UInt32 = 4, miINT32: UInt32 = 5,
               miUINT32: UInt32 = 6, miSINGLE: UInt32 = 7, miDOUBLE: UInt32 = 9, miINT64: UInt32 = 12, miUINT64: UInt32 = 13,
               miMATRIX: UInt32 = 14, miCOMPRESSED: UInt32 = 15

    /// Every double matrix in the MAT v5 `bytes`, by variable name; errors name `file`.
    public static func parse(_ bytes: [UInt8], file: String) throws(DataError) -> [String: Array2D] {
        guard bytes.count >= 128 else {
            throw .inconsistent(file: file, reason: "not a MAT v5 file: \(bytes.count) bytes, shorter than the 128-byte header")
        }
        let swapped: Bool
        switch (bytes[126], bytes[127]) {
        case (UInt8(ascii: "I"), UInt8(ascii: "M")): swapped = false
        case (UInt8(ascii: "M"), UInt8(ascii: "I")): swapped = true
        default:
            throw .inconsistent(file: file, reason: "not a MAT v5 file: no 'IM'/'MI' byte-order mark at offset 126 (MAT v7.3 files are HDF5; save with -v7)")
        }
        var reader = ElementReader(bytes: bytes, offset: 128, swapped: swapped, file: file)
        var result: [String: Array2D] = [:]
        while reader.offset < bytes.count {
            let element = try reader.next()
            if element.type == miCOMPRESSED {
                let inflated = try Gzip.inflateStream(Array(bytes[element.range]), file: file)
                var inner = ElementReader(bytes: inflated, offset: 0, swapped: swapped, file: file)
                while inner.offset < inflated.count {
                    let matrix = try inner.next()
                    if let (name, array) = try parseMatrix(matrix, in: inflated, swapped: swapped, file: file) { result[name] = array }
                }
            } else if let (name, array) = try parseMatrix(element, in: bytes, swapped: swapped, file: file) {
                result[name] = array
            }
        }
        return result
    }

    struct Element {
        var type: UInt32
        var range: Range<Int>
    }

    struct ElementReader {
        let bytes: [UInt8]
        var offset: Int
        let swapped: Bool
        let file: String

        func u32(_ at: Int) -> UInt32 {
            let v = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return swapped ? v.byteSwapped : v
        }

        /// The next tagged element; advances past it and its padding.
        mutating func next() throws(DataError) -> Element {
            guard offset + 8 <= bytes.count else {
                throw .inconsistent(file: file, reason: "truncated: a data element's tag at byte \(offset) runs past the end (\(bytes.count) bytes)")
            }
            let first = u32(offset)
            if first >> 16 != 0 {
                // Small data element: type and size in one word, up to 4 bytes of data after it.
                let size = Int(first >> 16)
                guard size <= 4 else {
                    throw .inconsistent(file: file, reason: "a small data element at byte \(offset) declares \(size) bytes; expected at most 4")
                }
                let element = Element(type: first & 0xFFFF, range: (offset + 4)..<(offset + 4 + size))
                offset += 8
                return element
            }
            let size = Int(u32(offset + 4))
            let start = offset + 8
            guard start + size <= bytes.count else {
                throw .inconsistent(file: file, reason: "truncated: an element of \(size) bytes at byte \(offset) runs past the end (\(bytes.count) bytes)")
            }
            // Compressed elements are not padded; every other element is padded to 8 bytes.
            offset = first == MATReader.miCOMPRESSED ? start + size : start + (size + 7) / 8 * 8
            return Element(type: first, range: start..<(start + size))
        }
    }

    /// A named 2-D real numeric matrix, or nil for another kind of variable worth skipping.
    static func parseMatrix(_ element: Element, in bytes: [UInt8], swapped: Bool, file: String) throws(DataError) -> (String, Array2D)? {
        guard element.type == miMATRIX else { return nil }
        guard !element.range.isEmpty else { return nil }  // an empty matrix
        var sub = ElementReader(bytes: Array(bytes[element.range]), offset: 0, swapped: swapped, file: file)
        let flags = try sub.next()
        guard flags.range.count >= 8 else { throw .inconsistent(file: file, reason: "a matrix's array flags are \(flags.range.count) bytes, expected 8") }
        let flagWord = sub.u32(flags.range.lowerBound)
        let arrayClass = flagWord & 0xFF
        let isComplex = flagWord & 0x0800 != 0
        let dimensions = try sub.next()
        guard dimensions.range.count % 4 == 0 else {
            throw .inconsistent(file: file, reason: "a matrix's dimensions take \(dimensions.range.count) bytes; expected a multiple of 4")
        }
        let dims = stride(from: dimensions.range.lowerBound, to: dimensions.range.upperBound, by: 4).map { Int(Int32(bitPattern: sub.u32($0))) }
        let nameElement = try sub.next()
        let name = printable(sub.bytes[nameElement.range], limit: 64)
        // Numeric classes are 6 (double) … 15 (uint64); cells, structs, objects, chars and sparse are not.
        guard (6...15).contains(arrayClass) else { return nil }
        guard !isComplex else { throw .inconsistent(file: file, reason: "variable '\(name)' is complex; expected a real matrix") }
        guard dims.count == 2, dims.allSatisfy({ $0 >= 0 }) else {
            throw .inconsistent(file: file, reason: "variable '\(name)' has dimensions \(dims.prefix(8))\(dims.count > 8 ? "…" : ""); expected a 2-D matrix")
        }
        let (rows, columns) = (dims[0], dims[1])
        let real = try sub.next()
        let columnMajor = try decode(real, sub, name: name, file: file)
        guard columnMajor.count == rows * columns else {
            throw .inconsistent(file: file, reason: "variable '\(name)' holds \(columnMajor.count) values; its dimensions \(rows)×\(columns) need \(rows * columns)")
        }
        var values = [Float](repeating: 0, count: rows * columns)
        for c in 0..<columns { for r in 0..<rows { values[r * columns + c] = Float(columnMajor[c * rows + r]) } }
        return (name, Array2D(rows: rows, columns: columns, values: values))
    }

    static func decode(_ element: Element, _ reader: ElementReader, name: String, file: String) throws(DataError) -> [Double] {
        let bytes = reader.bytes, range = element.range, swapped = reader.swapped
        func word(_ at: Int, _ width: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<width { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            return swapped ? v.byteSwapped >> (64 - 8 * UInt64(width)) : v
        }
        let width: Int
        let convert: (UInt64) -> Double
        switch element.type {
        case miDOUBLE: width = 8; convert = { Double(bitPattern: $0) }
        case miSINGLE: width = 4; convert = { Double(Float(bitPattern: UInt32($0))) }
        case miINT8: width = 1; convert = { Double(Int8(truncatingIfNeeded: $0)) }
        case miUINT8: width = 1; convert = { Double($0) }
        case miINT16: width = 2; convert = { Double(Int16(truncatingIfNeeded: $0)) }
        case miUINT16: width = 2; convert = { Double($0) }
        case miINT32: width = 4; convert = { Double(Int32(truncatingIfNeeded: $0)) }
        case miUINT32: width = 4; convert = { Double($0) }
        case miINT64: width = 8; convert = { Double(Int64(bitPattern: $0)) }
        case miUINT64: width = 8; convert = { Double($0) }
        default:
            throw .inconsistent(file: file, reason: "variable '\(name)' stores its values as MAT type \(element.type); expected a numeric type")
        }
        guard range.count % width == 0 else {
            throw .inconsistent(file: file, reason: "variable '\(name)': \(range.count) bytes of data is not a whole number of \(width)-byte values")
        }
        return stride(from: range.lowerBound, to: range.upperBound, by: width).map { convert(word($0, width)) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a numeric CSV table (gzip-compressed or not) into a row-major `Float` matrix.
///
/// Fields are separated by commas (or, if the first line has no comma, by whitespace). A first
/// line that does not parse as numbers is taken as a header. Every row must have as many fields
/// as the first; empty lines are skipped. Errors name the line and field.
public enum CSVReader {
    /// A parsed CSV file: its header, if the first line is one, and its numbers.
    public struct Table: Sendable {
        /// The column names, when the first line is not numeric.
        public var header: [String]?
        /// One row per line, one column per field.
        public var matrix: Matrix
    }

    /// Reads and parses the file at `path`.
    public static func read(_ path: String) throws(DataError) -> Table {
        try parse(FileBytes.read(path), file: path)
    }

    /// Parses `bytes`; errors name `file`, the line and the field.
    public static func parse(_ bytes: [UInt8], file: String) throws(DataError) -> Table {
        var text = bytes
        text.append(0)  // strtof needs a terminator
        var values: [Float] = []
        var columns = 0
        var rows = 0
        var header: [String]?
        var failure: DataError?

        text.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            let end = bytes.count
            var position = 0
            var line = 0
            var separator: UInt8 = UInt8(ascii: ",")
            while position < end {
                line += 1
                var lineEnd = position
                while lineEnd < end && base[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                var contentEnd = lineEnd
                if contentEnd > position && base[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                defer { position = lineEnd + 1 }
                if isBlank(base, position, contentEnd) { continue }
                if rows == 0 && header == nil && columns == 0 {
                    separator = contains(base, position, contentEnd, UInt8(ascii: ",")) ? UInt8(ascii: ",") : UInt8(ascii: " ")
                    // A header names every column: a first line with any number in it is data, and
                    // a field of it that is not a number is an error, not a column name.
                    let names = fields(base, position, contentEnd, separator)
                    if names.allSatisfy({ Float($0.trimmingCharacters(in: .whitespaces)) == nil }) {
                        header = names
                        columns = names.count
                        continue
                    }
                }
                var field = 0
                var cursor = position
                while true {
                    field += 1
                    while cursor < contentEnd && (base[cursor] == UInt8(ascii: " ") || base[cursor] == UInt8(ascii: "\t")) { cursor += 1 }
                    // Temporarily terminate the field so strtof cannot read past the line.
                    var fieldEnd = cursor
                    while fieldEnd < contentEnd && base[fieldEnd] != separator
                            && !(separator == UInt8(ascii: " ") && base[fieldEnd] == UInt8(ascii: "\t")) { fieldEnd += 1 }
                    let saved = base[fieldEnd]
                    base[fieldEnd] = 0
                    var parsedEnd: UnsafeMutablePointer<CChar>?
                    let start = UnsafeMutableRawPointer(base + cursor).assumingMemoryBound(to: CChar.self)
                    let value = strtof(start, &parsedEnd)
                    let consumed = parsedEnd.map { UnsafeMutableRawPointer($0) - UnsafeMutableRawPointer(start) } ?? 0
                    var trailing = cursor + consumed
                    while trailing < fieldEnd && (base[trailing] == UInt8(ascii: " ") || base[trailing] == UInt8(ascii: "\t")) { trailing += 1 }
                    base[fieldEnd] = saved
                    if consumed == 0 || trailing != fieldEnd {
                        let found = printable(UnsafeBufferPointer(start: base + cursor, count: fieldEnd - cursor), limit: 40)
                        failure = .malformedCSV(file: file, line: line, field: field, reason: "expected a number, found '\(found)'")
                        return
                    }
                    values.append(value)
                    cursor = fieldEnd
                    if separator == UInt8(ascii: " ") {
                        while cursor < contentEnd && (base[cursor] == UInt8(ascii: " ") || base[cursor] == UInt8(ascii: "\t")) { cursor += 1 }
                        if cursor >= contentEnd { break }
                    } else {
                        if cursor >= contentEnd { break }
                        cursor += 1  // past the comma
                    }
                }
                if columns == 0 { columns = field }
                if field != columns {
                    failure = .malformedCSV(file: file, line: line, field: nil,
                                            reason: "expected \(columns) fields (as on the first row), found \(field)")
                    return
                }
                rows += 1
            }
        }
        if let failure { throw failure }
        guard rows > 0 else { throw .malformedCSV(file: file, line: 1, field: nil, reason: "expected numeric rows, found none") }
        return Table(header: header, matrix: Matrix(rows: rows, columns: columns, elements: values))
    }

    private static func isBlank(_ p: UnsafeMutablePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        (from..<to).allSatisfy { p[$0] == UInt8(ascii: " ") || p[$0] == UInt8(ascii: "\t") }
    }

    private static func contains(_ p: UnsafeMutablePointer<UInt8>, _ from: Int, _ to: Int, _ byte: UInt8) -> Bool {
        (from..<to).contains { p[$0] == byte }
    }

    private static func fields(_ p: UnsafeMutablePointer<UInt8>, _ from: Int, _ to: Int, _ separator: UInt8) -> [String] {
        String(decoding: UnsafeBufferPointer(start: p + from, count: to - from), as: UTF8.self)
            .split(separator: Character(UnicodeScalar(separator)), omittingEmptySubsequences: separator == UInt8(ascii: " "))
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

import Foundation

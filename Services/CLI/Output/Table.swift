/// A plain-text table: a header row, a rule, and left-aligned columns.
struct Table {
    var columns: [String]
    var rows: [[String]] = []

    init(_ columns: String...) {
        self.columns = columns
    }

    mutating func add(_ cells: String...) {
        self.rows.append(cells)
    }

    mutating func add(_ cells: [String]) {
        self.rows.append(cells)
    }

    func render() -> String {
        let widths = self.columns.indices.map { index in
            ([self.columns[index]] + self.rows.map { index < $0.count ? $0[index] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        var lines = [line(self.columns), line(widths.map { String(repeating: "-", count: $0) })]
        lines += self.rows.map(line)
        return lines.joined(separator: "\n")
    }
}

/// "key: value" lines for one record, keys aligned.
func describe(_ fields: [(String, String)]) -> String {
    let width = fields.map(\.0.count).max() ?? 0
    return fields.map { key, value in
        (key + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " " + value
    }.joined(separator: "\n")
}

import Foundation

public import Foundation

/// A calendar day (UTC), the unit of effective dates and manufacture dates.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses "YYYY-MM-DD"; nil when it is not a real date.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `text` for `field`, naming it when it is not a date.
    public static func parse(_ text: String, field: String) throws -> Day {
        guard let day = Day(text) else {
            throw DomainError.invalid(field: field, reason: "'\(text)' is not a date; write it as YYYY-MM-DD, e.g. 2025-01-01")
        }
        return day
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", self.year, self.month, self.day)
    }

    /// The day before.
    public var previous: Day {
        if self.day > 1 { return Day(unchecked: self.year, self.month, self.day - 1) }
        if self.month > 1 { return Day(unchecked: self.year, self.month - 1, Self.daysIn(month: self.month - 1, year: self.year)) }
        return Day(unchecked: self.year - 1, 12, 31)
    }

    /// Today in UTC.
    public static var today: Day {
        Day(Date())
    }

    /// The UTC day of `date`.
    public init(_ date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        self.init(unchecked: parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    /// Whole days from this day to `later` (negative when `later` is earlier).
    public func days(until later: Day) -> Int {
        later.ordinal - self.ordinal
    }

    /// Days since 0000-03-01 in the proleptic Gregorian calendar: differences are day counts.
    private var ordinal: Int {
        let y = self.month <= 2 ? self.year - 1 : self.year
        let m = self.month <= 2 ? self.month + 9 : self.month - 3
        return 365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + self.day - 1
    }

    public static func < (lhs: Day, rhs: Day) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    private init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day `count` days later (earlier when negative).
    public func adding(days count: Int) -> Day {
        Day.fromOrdinal(self.ordinal + count)
    }

    /// The Monday of this day's week (ISO weeks start on Monday).
    public var mondayOfWeek: Day {
        // Ordinal 0 (0000-03-01) was a Wednesday: two days after a Monday.
        let sinceMonday = ((self.ordinal + 2) % 7 + 7) % 7
        return self.adding(days: -sinceMonday)
    }

    /// The inverse of `ordinal` (the civil-from-days algorithm, on a March-based year).
    private static func fromOrdinal(_ ordinal: Int) -> Day {
        var y = (10_000 * ordinal + 14_780) / 3_652_425
        var dayOfYear = ordinal - (365 * y + y / 4 - y / 100 + y / 400)
        if dayOfYear < 0 {
            y -= 1
            dayOfYear = ordinal - (365 * y + y / 4 - y / 100 + y / 400)
        }
        let mi = (100 * dayOfYear + 52) / 3_060
        let month = mi < 10 ? mi + 3 : mi - 9
        let year = mi < 10 ? y : y + 1
        let day = dayOfYear - (mi * 306 + 5) / 10 + 1
        return Day(unchecked: year, month, day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

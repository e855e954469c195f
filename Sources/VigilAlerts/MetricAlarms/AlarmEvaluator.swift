/// CloudWatch's alarm evaluation as a pure function: the datapoints of the evaluation range (oldest first, nil for
/// a period without data, true for a breaching one) and the current state give the next state. "M out of N":
/// `datapointsToAlarm` breaching among the newest `evaluationPeriods` real datapoints; when fewer than N are real,
/// `treatMissingData` decides, as CloudWatch documents it (monitoring-anchors §3.1, whose reference tables are the
/// golden tests).
public struct AlarmEvaluator: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case ok = "OK", alarm = "ALARM", insufficientData = "INSUFFICIENT_DATA"
    }

    public enum TreatMissingData: String, Sendable, CaseIterable {
        case missing, ignore, breaching, notBreaching
    }

    public var evaluationPeriods: Int
    public var datapointsToAlarm: Int
    public var treatMissingData: TreatMissingData

    public init(evaluationPeriods: Int, datapointsToAlarm: Int, treatMissingData: TreatMissingData = .missing) {
        self.evaluationPeriods = evaluationPeriods
        self.datapointsToAlarm = datapointsToAlarm
        self.treatMissingData = treatMissingData
    }

    /// How many periods the evaluation range spans: CloudWatch looks further back than N to find real datapoints.
    public var rangePeriods: Int { evaluationPeriods + max(2, evaluationPeriods / 2) }

    public func next(_ range: [Bool?], current: State) -> State {
        let n = evaluationPeriods, m = datapointsToAlarm
        let real = range.compactMap { $0 }
        // Enough real datapoints: the newest N of them decide, whatever the missing-data setting.
        if real.count >= n {
            return real.suffix(n).filter { $0 }.count >= m ? .alarm : .ok
        }
        if real.isEmpty {
            switch treatMissingData {
            case .missing: return .insufficientData
            case .ignore: return current
            case .breaching: return .alarm
            case .notBreaching: return .ok
            }
        }
        let breaching = real.filter { $0 }.count
        switch treatMissingData {
        case .breaching:
            // The gaps are filled as few times as possible: N - real fills, each breaching.
            return breaching + (n - real.count) >= m ? .alarm : .ok
        case .notBreaching:
            return breaching >= m ? .alarm : .ok
        case .missing, .ignore:
            if breaching >= m { return .alarm }
            // Fewer than M real points and every one breaching: an alarm only once the oldest breaching point is at
            // least M periods old (CloudWatch's guard against alarming on one fresh point); `ignore` keeps the state.
            guard breaching == real.count else { return .ok }
            let oldest = range.firstIndex { $0 == true } ?? range.count - 1
            let age = range.count - oldest
            guard age >= m else { return current == .insufficientData ? .insufficientData : current }
            return treatMissingData == .missing ? .alarm : current
        }
    }
}

import type { DecisionId, NodeId } from '../paxos/index.ts';
import type { Violation } from './oracle.ts';

/* What one execution of the simulator returns. */

/** What an execution went through: shows that the faults were really exercised. */
export interface FaultCounts {
  crashes: number;
  lost: number;
  duplicated: number;
  cut: number;
  decisionsChosen: number;
}

/** A node found two valid certificates for different outcomes of one decision. */
export interface DetectedConflict {
  readonly at: number;
  readonly node: NodeId;
  readonly decision: DecisionId;
  readonly liars: readonly NodeId[];
  readonly signedBoth: readonly NodeId[];
}

/** An outcome a node reported to its user. */
export interface ReportedOutcome {
  readonly at: number;
  readonly node: NodeId;
  readonly decision: DecisionId;
  readonly value: string;
}

export interface SimulationResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  /** When a quorum of acceptors had first accepted one value, per decision chosen (the oracle's view). */
  readonly chosenAt: Readonly<Record<DecisionId, number>>;
  /** Every outcome reported by any node, in the order they were reported. */
  readonly reported: readonly ReportedOutcome[];
  /** Safety violations the nodes themselves detected, with whom their evidence names. */
  readonly conflicts: readonly DetectedConflict[];
  readonly steps: number;
  readonly messages: number;
  readonly faults: FaultCounts;
  readonly endedAt: number;
  /** Filled only when tracing was asked for. */
  readonly trace: readonly string[];
}

/** Sizes a person types; anything larger is refused with an error at every boundary. */
export const LIMITS = {
  titleChars: 200,
  optionChars: 200,
  optionsPerQuestion: 20,
  displayNameChars: 64,
  groupNameChars: 64,
  /** One wire message; a question with all its options fits many times over. */
  messageBytes: 64 * 1024,
  /**
   * The one larger message: the set of votes a close commits to (up to 256 signed votes, each with an
   * option of up to 200 characters). Every other message stays within `messageBytes`.
   */
  voteSetBytes: 320 * 1024,
  /** The most acceptors a question may name (on the wire and on disk). */
  maxAcceptors: 15,
  /**
   * The most learners a question names. The others hear the outcome anyway: it is passed on to every
   * member connected when it is decided, and in the catalog exchange on every connection.
   */
  maxLearners: 64,
  /**
   * The most voters a vote or an auction names: every member the asker knows (a node keeps at most
   * this many members).
   */
  maxVoters: 256,
  /**
   * Questions one member may ask: at most this many dated within any minute, and this many in all
   * kept in a catalog. One member could otherwise fill every laptop's disk and keep it busy.
   */
  questionsPerMemberPerMinute: 20,
  questionsPerMember: 1_000,
  /** How many acceptors a new question gets unless configured otherwise; the other members learn. */
  defaultAcceptors: 7,
} as const;

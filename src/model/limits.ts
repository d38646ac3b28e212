/** Sizes a person types; anything larger is refused with an error at every boundary. */
export const LIMITS = {
  titleChars: 200,
  optionChars: 200,
  optionsPerQuestion: 20,
  displayNameChars: 64,
  groupNameChars: 64,
  /** One wire message; a question with all its options fits many times over. */
  messageBytes: 64 * 1024,
  /** Acceptors per question; the other members learn. */
  maxAcceptors: 7,
} as const;

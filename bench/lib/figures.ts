/** One run's figures of one system: name → value (units in the name). */
export type Figures = Record<string, number>

export const MB = 1e6

export interface BackendHealth {
  /** `main:sqlite`, `semantic:sqlite`, `embedder:openai`, … */
  name: string;
  ok: boolean;
  latencyMs: number;
  detail?: string;
}

export interface HealthReport {
  ok: boolean;
  backends: BackendHealth[];
}

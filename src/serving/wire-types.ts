/** Message shapes as @grpc/proto-loader decodes them (camelCase, oneof name in `input`). */
export interface WireInstance {
  input?: 'features' | 'text';
  features?: { values: number[] } | null;
  text?: string;
}

export interface WirePredictRequest {
  model: string;
  instances: WireInstance[];
  version: string;
}

export interface WirePrediction {
  label: string;
  confidence: number;
  scores: Record<string, number>;
  value: number;
}

export interface WirePredictResponse {
  model: string;
  version: string;
  predictions: WirePrediction[];
}

export interface WireModelInfo {
  name: string;
  version: string;
  task: string;
  labels: string[];
  inputKind: string;
  inputDim: number;
  backend: string;
  parent: string;
  examplesSeen: string;
  createdAt: string;
}

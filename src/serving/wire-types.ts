/** Message shapes as @grpc/proto-loader decodes them (camelCase, oneof name in `input`). */
export interface WireInstance {
  input?: 'features' | 'text' | 'image' | 'audio' | 'views';
  features?: { values: number[] } | null;
  text?: string;
  image?: Buffer;
  audio?: Buffer;
  views?: { views: Record<string, { values: number[] }> } | null;
}

export interface WirePredictRequest {
  model: string;
  instances: WireInstance[];
  version: string;
  requestId?: string;
}

export interface WirePrediction {
  label: string;
  confidence: number;
  scores: Record<string, number>;
  value: number;
  predictionId?: string;
  spans?: { start: number; end: number; label: string; text: string }[];
}

export interface WireFeedbackRequest {
  model: string;
  predictionId: string;
  truth?: 'label' | 'value';
  label?: string;
  value?: number;
}

export interface WireStreamError {
  code: number;
  codeName: string;
  message: string;
}

export interface WirePredictResponse {
  model: string;
  version: string;
  predictions: WirePrediction[];
  requestId?: string;
  error?: WireStreamError | null;
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
  inputKinds?: string[];
  loadedVersions?: string[];
  pinned?: string;
}

export interface WireVersionInfo {
  version: string;
  createdAt: string;
  parent: string;
  regime: string;
  metrics: Record<string, number>;
  state: string;
  loaded: boolean;
  examplesSeen: string;
}

export interface WireModelEvent {
  type: string;
  model: string;
  version: string;
  previous: string;
  time: string;
  reason: string;
}

export interface WireAdminResponse {
  model: string;
  version: string;
  previous: string;
  pinned: string;
}

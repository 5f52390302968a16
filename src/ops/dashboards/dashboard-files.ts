import { buildDashboard } from './dashboard.js';
import { dataQualityDashboard } from './data-quality-dashboard.js';
import { learningDashboard } from './learning-dashboard.js';
import { overviewDashboard } from './overview-dashboard.js';
import { servingDashboard } from './serving-dashboard.js';

/** Every provisioned dashboard, by file name under grafana/dashboards/ (`npm run dashboards` writes them). */
export function dashboardFiles(): Record<string, Record<string, unknown>> {
  return {
    'streamtune-overview.json': buildDashboard(overviewDashboard()),
    'streamtune-serving.json': buildDashboard(servingDashboard()),
    'streamtune-learning.json': buildDashboard(learningDashboard()),
    'streamtune-data-quality.json': buildDashboard(dataQualityDashboard()),
  };
}

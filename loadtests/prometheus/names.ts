/**
 * The metric and label names k6's `experimental-prometheus-rw` output writes (trends as
 * native histograms), which the Node engine writes too, so one set of queries serves both.
 * Seen in what a real k6 v1.3.0 wrote for this project's script (fixtures/).
 */
export const RwMetrics = {
  HttpReqs: 'k6_http_reqs_total',
  HttpReqDuration: 'k6_http_req_duration_seconds',
  Checks: 'k6_checks_rate',
  Iterations: 'k6_iterations_total',
  DroppedIterations: 'k6_dropped_iterations_total',
  Journeys: 'k6_coffee_journeys_total',
  Vus: 'k6_vus',
} as const;

export const RwLabels = {
  Name: '__name__',
  TestId: 'testid',
  RouteGroup: 'route_group',
  Route: 'route',
  RequestName: 'name',
  Method: 'method',
  Status: 'status',
  ExpectedResponse: 'expected_response',
  Scenario: 'scenario',
  Profile: 'profile',
  Check: 'check',
  Journey: 'journey',
  Outcome: 'outcome',
  /** Not written by k6 itself: each runner adds it (`--tag instance=...`) so runners' series stay apart. */
  Instance: 'instance',
} as const;

/** k6's setup() requests carry this route group; they are not part of the load. */
export const SETUP_ROUTE_GROUP = 'setup';

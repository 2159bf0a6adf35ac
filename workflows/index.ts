export { screeningWorkflow } from './screening-workflow';
export { personalDataCleanup } from './cleanup-workflow';
export { screeningRequestWorkflow } from './request-workflow';

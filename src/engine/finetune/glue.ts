// The defaults live in src/finetune-defaults.ts, shared with the editor's questions.
export { defaultLearningRate, glueDefaults, type GlueTaskDefaults } from '../../finetune-defaults';
